"""interview scoring: marking guides and criteria, declarations, drafted sheets, spread rulings

Revision ID: a3c9e5f71b24
Revises: 5e1c7a9b3d48
Create Date: 2026-12-06 21:20:00

A sheet keeps its points per criterion and is a draft until sealed (submitted_at empty);
existing sheets were given once and stay sealed, with no points per criterion.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'a3c9e5f71b24'
down_revision = '5e1c7a9b3d48'
branch_labels = None
depends_on = None

RELATIONS = ('none', 'spouse', 'parent', 'parent_in_law', 'child', 'sibling', 'aunt_or_uncle',
             'spouses_sibling', 'siblings_spouse')


def upgrade():
    op.create_table('interview_guides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('min_sheets', sa.Integer(), nullable=False),
    sa.Column('trimmed_mean', sa.Boolean(), nullable=False),
    sa.CheckConstraint('min_sheets >= 1', name=op.f('ck_interview_guides_min_sheets_positive')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_interview_guides_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_guides')),
    sa.UniqueConstraint('round_id', name=op.f('uq_interview_guides_round_id'))
    )
    op.create_table('interview_criteria',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('guide_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('descriptor', sa.Text(), nullable=False),
    sa.CheckConstraint('max_points > 0 AND max_points <= 100', name=op.f('ck_interview_criteria_max_points_range')),
    sa.ForeignKeyConstraint(['guide_id'], ['interview_guides.id'], name=op.f('fk_interview_criteria_guide_id_interview_guides'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interview_criteria')),
    sa.UniqueConstraint('guide_id', 'number', name=op.f('uq_interview_criteria_guide_id_number'))
    )
    op.create_table('panel_declarations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_member_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('relation', sa.Enum(*RELATIONS, name='relation', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('declared_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_panel_declarations_application_id_applications'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['panel_member_id'], ['panel_members.id'], name=op.f('fk_panel_declarations_panel_member_id_panel_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_declarations')),
    sa.UniqueConstraint('panel_member_id', 'application_id', name=op.f('uq_panel_declarations_panel_member_id_application_id'))
    )
    op.create_table('panel_spread_rulings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('decision', sa.Enum('confirm', 'rescore', name='spreaddecision', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=False),
    sa.Column('decided_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_panel_spread_rulings_application_id_applications'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_panel_spread_rulings_decided_by_id_users')),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_panel_spread_rulings_panel_id_panels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_spread_rulings'))
    )
    with op.batch_alter_table('panel_spread_rulings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_panel_spread_rulings_application_id'), ['application_id'], unique=False)
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
        batch_op.alter_column('submitted_at', existing_type=exam.core.db.UTCDateTime(timezone=True), nullable=True)


def downgrade():
    op.execute('DELETE FROM score_sheets WHERE submitted_at IS NULL')
    with op.batch_alter_table('score_sheets', schema=None) as batch_op:
        batch_op.alter_column('submitted_at', existing_type=exam.core.db.UTCDateTime(timezone=True), nullable=False)
        batch_op.drop_column('points')
    with op.batch_alter_table('panel_spread_rulings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_panel_spread_rulings_application_id'))
    op.drop_table('panel_spread_rulings')
    op.drop_table('panel_declarations')
    op.drop_table('interview_criteria')
    op.drop_table('interview_guides')
