"""appeals: the round's publication time, re-marking scripts, the appeals

Revision ID: 9b4e7d2c6a15
Revises: c6d2f8a41e37
Create Date: 2026-12-06 21:25:00

The appeal window counts from ``rounds.published_at``; a script's re-marking on appeal is a
second script of the same paper (``remark``: one marking and one re-marking per paper); an
appeal links the script first marked to its re-marking and records the outcome.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = '9b4e7d2c6a15'
down_revision = 'c6d2f8a41e37'
branch_labels = None
depends_on = None

OLD_KINDS = ('received', 'eligible', 'not_eligible', 'summons', 'withdrawn', 'invitation', 'reset', 'has_account')
NEW_KINDS = OLD_KINDS + ('appeal',)


def _kinds_check(kinds):
    return "kind IN (%s)" % ", ".join(f"'{k}'" for k in kinds)


def upgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('published_at', exam.core.db.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('marking_scripts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('remark', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.drop_constraint(batch_op.f('uq_marking_scripts_attempt_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_marking_scripts_attempt_id_remark'), ['attempt_id', 'remark'])

    with op.batch_alter_table('marking_scripts', schema=None) as batch_op:
        batch_op.alter_column('remark', server_default=None)

    op.create_table('appeals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('candidate_id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('remark_script_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('filed_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('status', sa.Enum('filed', 'remarking', 'chair', 'decided', name='appealstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('published_score', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('remark_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('final_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('meeting_item_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision', sa.Text(), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status = 'filed' OR remark_script_id IS NOT NULL", name=op.f('ck_appeals_remarking_has_script')),
    sa.CheckConstraint("status NOT IN ('chair', 'decided') OR remark_score IS NOT NULL", name=op.f('ck_appeals_outcome_after_remark')),
    sa.CheckConstraint("(status = 'decided') = (final_score IS NOT NULL AND decided_at IS NOT NULL)", name=op.f('ck_appeals_decided_iff_scored')),
    sa.CheckConstraint("decided_by_id IS NULL OR (meeting_item_id IS NOT NULL AND length(decision) > 0)", name=op.f('ck_appeals_chair_decision_minuted')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_appeals_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['candidate_id'], ['users.id'], name=op.f('fk_appeals_candidate_id_users')),
    sa.ForeignKeyConstraint(['script_id'], ['marking_scripts.id'], name=op.f('fk_appeals_script_id_marking_scripts')),
    sa.ForeignKeyConstraint(['remark_script_id'], ['marking_scripts.id'], name=op.f('fk_appeals_remark_script_id_marking_scripts')),
    sa.ForeignKeyConstraint(['meeting_item_id'], ['council_meeting_items.id'], name=op.f('fk_appeals_meeting_item_id_council_meeting_items')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_appeals_decided_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_appeals')),
    sa.UniqueConstraint('script_id', name=op.f('uq_appeals_script_id')),
    sa.UniqueConstraint('remark_script_id', name=op.f('uq_appeals_remark_script_id'))
    )
    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_appeals_candidate_id'), ['candidate_id'], unique=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_noticekind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_noticekind'), _kinds_check(NEW_KINDS))


def downgrade():
    outbox = sa.table('outbox_messages', sa.column('kind', sa.String))
    op.execute(outbox.delete().where(outbox.c.kind == 'appeal'))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_noticekind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_noticekind'), _kinds_check(OLD_KINDS))

    with op.batch_alter_table('appeals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_appeals_candidate_id'))
    op.drop_table('appeals')

    with op.batch_alter_table('marking_scripts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_marking_scripts_attempt_id_remark'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_marking_scripts_attempt_id'), ['attempt_id'])
        batch_op.drop_column('remark')

    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('published_at')
