"""refused answers counted beyond their caps; wrong session codes kept

Revision ID: a3c9e1f27b50
Revises: 5d1e0c7a9b42
Create Date: 2026-12-06 18:30:00

Each refused answer kept so far stands for one (count 1, not a summary).
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'a3c9e1f27b50'
down_revision = '5d1e0c7a9b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('refused_answers', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('summary', sa.Boolean(), server_default=sa.false(), nullable=False)
        )
        batch_op.add_column(sa.Column('count', sa.Integer(), server_default='1', nullable=False))
        batch_op.create_check_constraint(op.f('ck_refused_answers_count_positive'), 'count >= 1')
        batch_op.create_check_constraint(
            op.f('ck_refused_answers_summary_has_no_answer'),
            'NOT summary OR (item_id IS NULL AND seq IS NULL)',
        )
        batch_op.create_index(
            'uq_refused_answers_summary',
            ['attempt_id'],
            unique=True,
            sqlite_where=sa.text('summary'),
            postgresql_where=sa.text('summary'),
        )

    op.create_table('wrong_session_codes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('attempt_id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('entered_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['attempt_id'], ['attempts.id'], name=op.f('fk_wrong_session_codes_attempt_id_attempts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_wrong_session_codes'))
    )
    with op.batch_alter_table('wrong_session_codes', schema=None) as batch_op:
        batch_op.create_index('ix_wrong_session_codes_attempt_at', ['attempt_id', 'entered_at'], unique=False)


def downgrade():
    with op.batch_alter_table('wrong_session_codes', schema=None) as batch_op:
        batch_op.drop_index('ix_wrong_session_codes_attempt_at')
    op.drop_table('wrong_session_codes')

    with op.batch_alter_table('refused_answers', schema=None) as batch_op:
        batch_op.drop_index('uq_refused_answers_summary')
        batch_op.drop_constraint(op.f('ck_refused_answers_summary_has_no_answer'), type_='check')
        batch_op.drop_constraint(op.f('ck_refused_answers_count_positive'), type_='check')
        batch_op.drop_column('count')
        batch_op.drop_column('summary')
