"""the panel's record: members' attendance, the session's incidents, scans of signed sheets

Revision ID: 6a1f3c8e2d47
Revises: e2c5a8d14f70
Create Date: 2026-12-06 23:10:00

Who of a panel sat at its session (by person), the incidents the secretary recorded, and
the scanned signed paper form of each sealed sheet (the newest not replaced is current).
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = '6a1f3c8e2d47'
down_revision = 'e2c5a8d14f70'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('panel_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('present', sa.Boolean(), nullable=False),
    sa.Column('recorded_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_panel_attendance_panel_id_panels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_panel_attendance_recorded_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_panel_attendance_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_attendance')),
    sa.UniqueConstraint('panel_id', 'user_id', name=op.f('uq_panel_attendance_panel_id_user_id'))
    )
    op.create_table('panel_incidents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('recorded_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('length(description) > 0', name=op.f('ck_panel_incidents_incident_described')),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_panel_incidents_panel_id_panels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_panel_incidents_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_incidents'))
    )
    op.create_table('sheet_scans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('score_sheet_id', sa.Integer(), nullable=False),
    sa.Column('original_name', sa.String(length=200), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('content_type', sa.String(length=50), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('replaced_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("content_type IN ('application/pdf', 'image/jpeg', 'image/png')", name=op.f('ck_sheet_scans_scan_type')),
    sa.CheckConstraint('size > 0', name=op.f('ck_sheet_scans_scan_not_empty')),
    sa.ForeignKeyConstraint(['score_sheet_id'], ['score_sheets.id'], name=op.f('fk_sheet_scans_score_sheet_id_score_sheets'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_sheet_scans_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sheet_scans')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_sheet_scans_stored_name'))
    )
    with op.batch_alter_table('sheet_scans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sheet_scans_score_sheet_id'), ['score_sheet_id'], unique=False)


def downgrade():
    with op.batch_alter_table('sheet_scans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sheet_scans_score_sheet_id'))

    op.drop_table('sheet_scans')
    op.drop_table('panel_incidents')
    op.drop_table('panel_attendance')
