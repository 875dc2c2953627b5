"""ranking lifecycle: draft, approved by the Council's decision, published, superseded

Revision ID: e2c5a8d14f70
Revises: 9d4e7a2c5b18
Create Date: 2026-12-06 23:20:00

``rankings`` gains its status (existing rankings stay drafts: none was approved), the reason
of a version and its publication time, with plain ALTER TABLE (not batch: on SQLite,
rebuilding ``rankings`` would drop it and, foreign keys on, delete its rows' ranking rows).
The Council's decisions approving rankings (number, date, signer, version), winners'
withdrawals with the candidate called, the round's choice for its public results page, and
the outbox's result and called notices are new.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'e2c5a8d14f70'
down_revision = '9d4e7a2c5b18'
branch_labels = None
depends_on = None

STATUSES = ('draft', 'approved', 'published', 'superseded')
OLD_KINDS = (
    'received', 'eligible', 'not_eligible', 'summons', 'withdrawn', 'has_account', 'appeal',
    'invitation', 'reset',
)
NEW_KINDS = OLD_KINDS + ('result', 'called')


def _kinds_check(kinds):
    return "kind IN (%s)" % ", ".join(f"'{k}'" for k in kinds)


def upgrade():
    op.add_column(
        'rankings',
        sa.Column(
            'status',
            sa.Enum(*STATUSES, name='rankingstatus', native_enum=False, create_constraint=False,
                    length=10),
            sa.CheckConstraint(
                "status IN ('draft', 'approved', 'published', 'superseded')",
                name=op.f('ck_rankings_rankingstatus'),
            ),
            server_default='draft',
            nullable=False,
        ),
    )
    op.add_column('rankings', sa.Column('reason', sa.Text(), server_default='', nullable=False))
    op.add_column(
        'rankings',
        sa.Column('published_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    )
    op.create_index(
        'uq_rankings_one_published',
        'rankings',
        ['position_id'],
        unique=True,
        sqlite_where=sa.text("status = 'published'"),
        postgresql_where=sa.text("status = 'published'"),
    )

    op.create_table('ranking_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ranking_id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('decision_number', sa.String(length=50), nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('signer_id', sa.Integer(), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=False),
    sa.Column('approved_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_ranking_decisions_version_positive')),
    sa.CheckConstraint('length(decision_number) > 0', name=op.f('ck_ranking_decisions_decision_number_not_empty')),
    sa.CheckConstraint('length(signer_name) > 0', name=op.f('ck_ranking_decisions_signer_name_not_empty')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_ranking_decisions_approved_by_id_users')),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_ranking_decisions_position_id_positions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ranking_id'], ['rankings.id'], name=op.f('fk_ranking_decisions_ranking_id_rankings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_ranking_decisions_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['signer_id'], ['users.id'], name=op.f('fk_ranking_decisions_signer_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ranking_decisions')),
    sa.UniqueConstraint('position_id', 'version', name=op.f('uq_ranking_decisions_position_id_version')),
    sa.UniqueConstraint('ranking_id', name=op.f('uq_ranking_decisions_ranking_id')),
    sa.UniqueConstraint('round_id', 'decision_number', name=op.f('uq_ranking_decisions_round_id_decision_number'))
    )

    op.create_table('ranking_withdrawals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ranking_id', sa.Integer(), nullable=False),
    sa.Column('row_id', sa.Integer(), nullable=False),
    sa.Column('called_row_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('withdrawn_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_ranking_withdrawals_reason_not_empty')),
    sa.CheckConstraint('called_row_id IS NULL OR called_row_id != row_id', name=op.f('ck_ranking_withdrawals_not_self')),
    sa.ForeignKeyConstraint(['called_row_id'], ['ranking_rows.id'], name=op.f('fk_ranking_withdrawals_called_row_id_ranking_rows'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ranking_id'], ['rankings.id'], name=op.f('fk_ranking_withdrawals_ranking_id_rankings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_ranking_withdrawals_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['row_id'], ['ranking_rows.id'], name=op.f('fk_ranking_withdrawals_row_id_ranking_rows'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ranking_withdrawals')),
    sa.UniqueConstraint('called_row_id', name=op.f('uq_ranking_withdrawals_called_row_id')),
    sa.UniqueConstraint('row_id', name=op.f('uq_ranking_withdrawals_row_id'))
    )

    op.create_table('public_results',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('scope', sa.Enum('winners', 'all', name='publicscope', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_public_results_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_public_results_updated_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_results')),
    sa.UniqueConstraint('round_id', name=op.f('uq_public_results_round_id'))
    )

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_noticekind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_noticekind'), _kinds_check(NEW_KINDS))


def downgrade():
    messages = sa.table('outbox_messages', sa.column('kind', sa.String))
    op.execute(messages.delete().where(messages.c.kind.in_(('result', 'called'))))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_noticekind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_noticekind'), _kinds_check(OLD_KINDS))

    op.drop_table('public_results')
    op.drop_table('ranking_withdrawals')
    op.drop_table('ranking_decisions')
    op.drop_index('uq_rankings_one_published', table_name='rankings')
    # Not batch (see upgrade()); SQLite ≥ 3.35 drops a column in place.
    op.drop_column('rankings', 'published_at')
    op.drop_column('rankings', 'reason')
    op.drop_column('rankings', 'status')
