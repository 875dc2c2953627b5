"""every official document issued once: seven more kinds; a document replaced by another

Revision ID: c5e1a9d7f302
Revises: a4c9e2f7b318
Create Date: 2026-12-07 02:20:00

The eligibility notice, the decisions setting up the Council and its boards, the Council's
minutes, the marking hand-over, the panel's sheets and minutes and the results report join
the registry. A document whose content changed after it was issued points at the one that
replaced it (superseded_by_id, superseded_at: both set or both empty).
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'c5e1a9d7f302'
down_revision = 'a4c9e2f7b318'
branch_labels = None
depends_on = None

OLD_KINDS = (
    'supervision_report',
    'round_announcement',
    'admission_card',
    'results_decision',
    'result_notice',
    'results_proposal',
)
NEW_KINDS = OLD_KINDS + (
    'eligibility_notice',
    'body_decision',
    'council_minutes',
    'marking_hand_over',
    'panel_sheet',
    'panel_minutes',
    'results_report',
)


def _kinds_check(kinds):
    return "kind IN (%s)" % ", ".join(f"'{k}'" for k in kinds)


def upgrade():
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_issued_documents_documentkind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_issued_documents_documentkind'), _kinds_check(NEW_KINDS))
        batch_op.add_column(sa.Column('superseded_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', exam.core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_issued_documents_superseded_by_id'), ['superseded_by_id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_issued_documents_superseded_by_id_issued_documents'),
            'issued_documents',
            ['superseded_by_id'],
            ['id'],
        )
        batch_op.create_check_constraint(
            op.f('ck_issued_documents_superseded_together'),
            '(superseded_by_id IS NULL) = (superseded_at IS NULL)',
        )
        batch_op.create_check_constraint(
            op.f('ck_issued_documents_not_superseded_by_itself'), 'superseded_by_id <> id'
        )


def downgrade():
    issued = sa.table('issued_documents', sa.column('kind', sa.String))
    op.execute(issued.delete().where(issued.c.kind.in_(NEW_KINDS[len(OLD_KINDS):])))
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_issued_documents_not_superseded_by_itself'), type_='check')
        batch_op.drop_constraint(op.f('ck_issued_documents_superseded_together'), type_='check')
        batch_op.drop_constraint(
            batch_op.f('fk_issued_documents_superseded_by_id_issued_documents'), type_='foreignkey'
        )
        batch_op.drop_constraint(batch_op.f('uq_issued_documents_superseded_by_id'), type_='unique')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('superseded_by_id')
        batch_op.drop_constraint(op.f('ck_issued_documents_documentkind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_issued_documents_documentkind'), _kinds_check(OLD_KINDS))
