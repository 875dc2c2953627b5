"""the supervisory board's reports on its round

Revision ID: b81e4d7c2a90
Revises: 4227c0120892
Create Date: 2026-12-06 21:00:00

A report is written once (scope and findings never empty), with the audit chain's anchor and
state at the time of writing.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'b81e4d7c2a90'
down_revision = '4227c0120892'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('supervision_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('written_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('findings', sa.Text(), nullable=False),
    sa.Column('recommendations', sa.Text(), nullable=False),
    sa.Column('audit_anchor', sa.String(length=100), nullable=False),
    sa.Column('chain_intact', sa.Boolean(), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(findings) > 0', name=op.f('ck_supervision_reports_findings_not_empty')),
    sa.CheckConstraint('length(scope) > 0', name=op.f('ck_supervision_reports_scope_not_empty')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_supervision_reports_author_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_supervision_reports_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supervision_reports'))
    )
    with op.batch_alter_table('supervision_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_supervision_reports_round_id'), ['round_id'], unique=False)


def downgrade():
    with op.batch_alter_table('supervision_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_supervision_reports_round_id'))

    op.drop_table('supervision_reports')
