"""the đề án, the interview sessions and their recordings

Revision ID: d8f2a6c4e915
Revises: a3c9e5f71b24
Create Date: 2026-12-06 21:40:00

A round's interview settings (the đề án's deadline, the presentation's and the questions'
minutes); each upload of a candidate's đề án (the newest not replaced is their plan); a
panel's session (room, first turn, slot length), each candidate's turn as recorded (present,
the phases' starts and ends) and the session's recordings.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'd8f2a6c4e915'
down_revision = 'a3c9e5f71b24'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('interview_settings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('plan_deadline', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('presentation_minutes', sa.Integer(), nullable=False),
    sa.Column('questions_min_minutes', sa.Integer(), nullable=False),
    sa.Column('questions_max_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint('presentation_minutes > 0 AND presentation_minutes <= 45', name=op.f('ck_interview_settings_presentation_limit')),
    sa.CheckConstraint('questions_min_minutes > 0 AND questions_min_minutes <= questions_max_minutes', name=op.f('ck_interview_settings_questions_range')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_interview_settings_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_settings')),
    sa.UniqueConstraint('round_id', name=op.f('uq_interview_settings_round_id'))
    )
    op.create_table('plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('replaced_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('size > 0', name=op.f('ck_plans_plan_not_empty')),
    sa.CheckConstraint("content_type = 'application/pdf'", name=op.f('ck_plans_plan_is_pdf')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_plans_application_id_applications'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_plans_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plans')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_plans_stored_name'))
    )
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plans_application_id'), ['application_id'], unique=False)

    op.create_table('panel_sessions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('room', sa.String(length=120), nullable=False),
    sa.Column('starts_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('slot_minutes', sa.Integer(), nullable=False),
    sa.CheckConstraint('slot_minutes > 0 AND slot_minutes <= 240', name=op.f('ck_panel_sessions_slot_length')),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_panel_sessions_panel_id_panels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_sessions')),
    sa.UniqueConstraint('panel_id', name=op.f('uq_panel_sessions_panel_id'))
    )
    op.create_table('session_turns',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=True),
    sa.Column('marked_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('presentation_started_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('presentation_ended_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('questions_started_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('questions_ended_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('presentation_started_at IS NULL OR present', name=op.f('ck_session_turns_only_present_present')),
    sa.CheckConstraint('presentation_ended_at IS NULL OR presentation_started_at IS NOT NULL', name=op.f('ck_session_turns_presentation_ends_after_start')),
    sa.CheckConstraint('questions_started_at IS NULL OR presentation_ended_at IS NOT NULL', name=op.f('ck_session_turns_questions_after_presentation')),
    sa.CheckConstraint('questions_ended_at IS NULL OR questions_started_at IS NOT NULL', name=op.f('ck_session_turns_questions_end_after_start')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_session_turns_application_id_applications'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_session_turns_panel_id_panels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_turns')),
    sa.UniqueConstraint('panel_id', 'application_id', name=op.f('uq_session_turns_panel_id_application_id'))
    )
    op.create_table('session_recordings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=True),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('size > 0', name=op.f('ck_session_recordings_recording_not_empty')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_session_recordings_application_id_applications'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_session_recordings_panel_id_panels'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_session_recordings_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_recordings')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_session_recordings_stored_name'))
    )


def downgrade():
    op.drop_table('session_recordings')
    op.drop_table('session_turns')
    op.drop_table('panel_sessions')
    with op.batch_alter_table('plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plans_application_id'))
    op.drop_table('plans')
    op.drop_table('interview_settings')
