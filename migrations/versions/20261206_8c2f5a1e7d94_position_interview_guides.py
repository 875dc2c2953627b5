"""a position's own interview marking guide, the round's as its fallback

Revision ID: 8c2f5a1e7d94
Revises: 3e8b1d6f4a27
Create Date: 2026-12-07 00:00:00

interview_guides.position_id (NULL: the round's guide, as every existing row): a position may
have its own criteria. The round keeps one guide of its own (a partial unique index), a
position at most one.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8c2f5a1e7d94'
down_revision = '3e8b1d6f4a27'
branch_labels = None
depends_on = None

ROUND_GUIDE = sa.text('position_id IS NULL')


def upgrade():
    with op.batch_alter_table('interview_guides', schema=None) as batch_op:
        batch_op.add_column(sa.Column('position_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_interview_guides_position_id_positions'),
            'positions', ['position_id'], ['id'], ondelete='CASCADE',
        )
        batch_op.drop_constraint(batch_op.f('uq_interview_guides_round_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_interview_guides_position_id'), ['position_id'])
        batch_op.create_index(
            'uq_interview_guides_round_guide',
            ['round_id'],
            unique=True,
            sqlite_where=ROUND_GUIDE,
            postgresql_where=ROUND_GUIDE,
        )


def downgrade():
    guides = sa.table('interview_guides', sa.column('position_id', sa.Integer))
    op.execute(guides.delete().where(guides.c.position_id.is_not(None)))
    with op.batch_alter_table('interview_guides', schema=None) as batch_op:
        batch_op.drop_index('uq_interview_guides_round_guide', sqlite_where=ROUND_GUIDE, postgresql_where=ROUND_GUIDE)
        batch_op.drop_constraint(batch_op.f('uq_interview_guides_position_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_interview_guides_round_id'), ['round_id'])
        batch_op.drop_constraint(batch_op.f('fk_interview_guides_position_id_positions'), type_='foreignkey')
        batch_op.drop_column('position_id')
