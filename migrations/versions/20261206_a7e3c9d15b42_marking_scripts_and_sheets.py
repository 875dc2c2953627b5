"""the marking of written essays: a round's marking plan (TT 22 limits), coded scripts,
marking sheets and their lines

Revision ID: a7e3c9d15b42
Revises: d5a8c3e1b7f2
Create Date: 2026-12-06 21:00:00

A script is one candidate's written part under a random code (số phách), unique in its round;
two sheets per script (a third when they differ too much), never one marker twice; each
criterion's points within its maximum.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'a7e3c9d15b42'
down_revision = 'd5a8c3e1b7f2'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('marking_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('agree_limit', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('third_marker_limit', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('coded_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('coded_by_id', sa.Integer(), nullable=True),
    sa.Column('handed_over_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('handed_over_by_id', sa.Integer(), nullable=True),
    sa.Column('unsealed_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unsealed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('agree_limit >= 0 AND third_marker_limit > agree_limit AND third_marker_limit <= 100', name=op.f('ck_marking_plans_limits_order')),
    sa.CheckConstraint('handed_over_at IS NULL OR coded_at IS NOT NULL', name=op.f('ck_marking_plans_handed_over_after_coding')),
    sa.CheckConstraint('unsealed_at IS NULL OR handed_over_at IS NOT NULL', name=op.f('ck_marking_plans_unsealed_after_hand_over')),
    sa.ForeignKeyConstraint(['coded_by_id'], ['users.id'], name=op.f('fk_marking_plans_coded_by_id_users')),
    sa.ForeignKeyConstraint(['handed_over_by_id'], ['users.id'], name=op.f('fk_marking_plans_handed_over_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_marking_plans_round_id_rounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unsealed_by_id'], ['users.id'], name=op.f('fk_marking_plans_unsealed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marking_plans')),
    sa.UniqueConstraint('round_id', name=op.f('uq_marking_plans_round_id'))
    )
    op.create_table('marking_scripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=12), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.Enum('coded', 'marking', 'discussion', 'third_marker', 'head_decides', 'final', name='scriptstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('flagged_terms', sa.JSON(), nullable=False),
    sa.Column('flag_cleared', sa.Boolean(), nullable=False),
    sa.Column('final_score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('final_points', sa.JSON(), nullable=True),
    sa.Column('settled_by', sa.Enum('mean', 'pair', 'head', 'zero', name='settledby', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('zero_reason', sa.Enum('two_scripts', 'two_handwritings', 'foreign_paper', 'identifying_marks', name='zeroreason', native_enum=False, create_constraint=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('minutes', sa.Text(), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'final') = (final_score IS NOT NULL AND settled_by IS NOT NULL)", name=op.f('ck_marking_scripts_final_iff_scored')),
    sa.CheckConstraint("(zero_reason IS NULL) = (settled_by IS NULL OR settled_by != 'zero')", name=op.f('ck_marking_scripts_zero_has_reason')),
    sa.CheckConstraint("settled_by IS NULL OR settled_by NOT IN ('head', 'zero') OR (decided_by_id IS NOT NULL AND length(minutes) > 0)", name=op.f('ck_marking_scripts_decision_minuted')),
    sa.CheckConstraint('attempt_id IS NOT NULL', name=op.f('ck_marking_scripts_script_has_source')),
    sa.CheckConstraint('final_score IS NULL OR final_score BETWEEN 0 AND 100', name=op.f('ck_marking_scripts_final_score_range')),
    sa.CheckConstraint('length(code) >= 6', name=op.f('ck_marking_scripts_code_length')),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_marking_scripts_attempt_id_attempts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_marking_scripts_decided_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['marking_plans.id'], name=op.f('fk_marking_scripts_plan_id_marking_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marking_scripts')),
    sa.UniqueConstraint('attempt_id', name=op.f('uq_marking_scripts_attempt_id')),
    sa.UniqueConstraint('plan_id', 'code', name=op.f('uq_marking_scripts_plan_id_code'))
    )
    op.create_table('marking_sheets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('script_id', sa.Integer(), nullable=False),
    sa.Column('marker_id', sa.Integer(), nullable=False),
    sa.Column('turn', sa.Integer(), nullable=False),
    sa.Column('assigned_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('comments', sa.Text(), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('(submitted_at IS NULL) = (score IS NULL)', name=op.f('ck_marking_sheets_submitted_iff_scored')),
    sa.CheckConstraint('score IS NULL OR score BETWEEN 0 AND 100', name=op.f('ck_marking_sheets_score_range')),
    sa.CheckConstraint('turn BETWEEN 1 AND 3', name=op.f('ck_marking_sheets_turn_range')),
    sa.ForeignKeyConstraint(['marker_id'], ['users.id'], name=op.f('fk_marking_sheets_marker_id_users')),
    sa.ForeignKeyConstraint(['script_id'], ['marking_scripts.id'], name=op.f('fk_marking_sheets_script_id_marking_scripts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marking_sheets')),
    sa.UniqueConstraint('script_id', 'marker_id', name=op.f('uq_marking_sheets_script_id_marker_id')),
    sa.UniqueConstraint('script_id', 'turn', name=op.f('uq_marking_sheets_script_id_turn'))
    )
    with op.batch_alter_table('marking_sheets', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marking_sheets_marker_id'), ['marker_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_marking_sheets_script_id'), ['script_id'], unique=False)
    op.create_table('marking_sheet_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sheet_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.Integer(), nullable=False),
    sa.Column('points', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.CheckConstraint('criterion >= 0', name=op.f('ck_marking_sheet_lines_criterion_not_negative')),
    sa.CheckConstraint('points >= 0 AND points <= max_points', name=op.f('ck_marking_sheet_lines_points_range')),
    sa.ForeignKeyConstraint(['item_id'], ['attempt_questions.id'], name=op.f('fk_marking_sheet_lines_item_id_attempt_questions'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['sheet_id'], ['marking_sheets.id'], name=op.f('fk_marking_sheet_lines_sheet_id_marking_sheets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marking_sheet_lines')),
    sa.UniqueConstraint('sheet_id', 'item_id', 'criterion', name=op.f('uq_marking_sheet_lines_sheet_id_item_id_criterion'))
    )


def downgrade():
    op.drop_table('marking_sheet_lines')
    with op.batch_alter_table('marking_sheets', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marking_sheets_script_id'))
        batch_op.drop_index(batch_op.f('ix_marking_sheets_marker_id'))
    op.drop_table('marking_sheets')
    op.drop_table('marking_scripts')
    op.drop_table('marking_plans')
