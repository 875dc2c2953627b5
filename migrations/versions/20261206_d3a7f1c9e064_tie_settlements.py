"""the Council's recorded vote settling a tie at a ranking's winning line

Revision ID: d3a7f1c9e064
Revises: 8c2f5a1e7d94
Create Date: 2026-12-06 23:30:00

One settlement per ranking, pointing at the Council meeting's item whose adopted motion named
the winner(s); the rows' outcomes change with it (audited as ranking.settle_tie).
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'd3a7f1c9e064'
down_revision = '8c2f5a1e7d94'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('tie_settlements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ranking_id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('settled_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settled_by_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['council_meeting_items.id'], name=op.f('fk_tie_settlements_item_id_council_meeting_items')),
    sa.ForeignKeyConstraint(['ranking_id'], ['rankings.id'], name=op.f('fk_tie_settlements_ranking_id_rankings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['settled_by_id'], ['users.id'], name=op.f('fk_tie_settlements_settled_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_tie_settlements')),
    sa.UniqueConstraint('ranking_id', name=op.f('uq_tie_settlements_ranking_id'))
    )


def downgrade():
    op.drop_table('tie_settlements')
