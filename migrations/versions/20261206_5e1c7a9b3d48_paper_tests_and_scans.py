"""written tests sat on paper and their scanned scripts, marked under codes like essays

Revision ID: 5e1c7a9b3d48
Revises: 9b4e7d2c6a15
Create Date: 2026-12-06 21:20:00

A paper test (its criteria and points) per round; one scanned PDF per candidate and paper
test, with the score written at unsealing; a script's source is its online paper or its
scan (exactly one; a scan has its marking and at most one re-marking on appeal); a sheet line
of a scan names no paper item.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = '5e1c7a9b3d48'
down_revision = '9b4e7d2c6a15'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('marking_paper_tests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('max_points', sa.Numeric(precision=7, scale=2), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_marking_paper_tests_title_not_empty')),
    sa.CheckConstraint('max_points > 0', name=op.f('ck_marking_paper_tests_max_points_positive')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_marking_paper_tests_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marking_paper_tests')),
    sa.UniqueConstraint('round_id', 'title', name=op.f('uq_marking_paper_tests_round_id_title'))
    )
    op.create_table('marking_paper_scripts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('paper_test_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('stored_name', sa.String(length=80), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('uploaded_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.Numeric(precision=7, scale=2), nullable=True),
    sa.Column('score', sa.Numeric(precision=5, scale=2), nullable=True),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size > 0', name=op.f('ck_marking_paper_scripts_size_positive')),
    sa.CheckConstraint('(points IS NULL) = (score IS NULL)', name=op.f('ck_marking_paper_scripts_scored_together')),
    sa.CheckConstraint('score IS NULL OR score BETWEEN 0 AND 100', name=op.f('ck_marking_paper_scripts_score_range')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_marking_paper_scripts_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['paper_test_id'], ['marking_paper_tests.id'], name=op.f('fk_marking_paper_scripts_paper_test_id_marking_paper_tests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_marking_paper_scripts_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_marking_paper_scripts')),
    sa.UniqueConstraint('paper_test_id', 'application_id', name=op.f('uq_marking_paper_scripts_paper_test_id_application_id')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_marking_paper_scripts_stored_name'))
    )
    with op.batch_alter_table('marking_paper_scripts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_marking_paper_scripts_application_id'), ['application_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_marking_paper_scripts_paper_test_id'), ['paper_test_id'], unique=False)

    with op.batch_alter_table('marking_scripts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paper_script_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_marking_scripts_paper_script_id_marking_paper_scripts'), 'marking_paper_scripts', ['paper_script_id'], ['id'], ondelete='CASCADE')
        batch_op.create_unique_constraint(batch_op.f('uq_marking_scripts_paper_script_id_remark'), ['paper_script_id', 'remark'])
        batch_op.drop_constraint(op.f('ck_marking_scripts_script_has_source'), type_='check')
        batch_op.create_check_constraint(op.f('ck_marking_scripts_script_has_source'), '(attempt_id IS NULL) <> (paper_script_id IS NULL)')

    with op.batch_alter_table('marking_sheet_lines', schema=None) as batch_op:
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=True)


def downgrade():
    op.execute('DELETE FROM marking_scripts WHERE paper_script_id IS NOT NULL')
    op.execute('DELETE FROM marking_sheet_lines WHERE item_id IS NULL')
    with op.batch_alter_table('marking_sheet_lines', schema=None) as batch_op:
        batch_op.alter_column('item_id', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('marking_scripts', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_marking_scripts_script_has_source'), type_='check')
        batch_op.create_check_constraint(op.f('ck_marking_scripts_script_has_source'), 'attempt_id IS NOT NULL')
        batch_op.drop_constraint(batch_op.f('uq_marking_scripts_paper_script_id_remark'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_marking_scripts_paper_script_id_marking_paper_scripts'), type_='foreignkey')
        batch_op.drop_column('paper_script_id')

    with op.batch_alter_table('marking_paper_scripts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_marking_paper_scripts_paper_test_id'))
        batch_op.drop_index(batch_op.f('ix_marking_paper_scripts_application_id'))

    op.drop_table('marking_paper_scripts')
    op.drop_table('marking_paper_tests')
