"""when the board received a round's last scores, for the aggregation's 5 working days

Revision ID: e2a6c8f04b17
Revises: d4f8a2c6e913
Create Date: 2026-12-07 02:40:00

Recorded as the round enters the results stage (the latest of its last panel sheet sealed,
last spread ruled and written tests unsealed). Rounds already past that stage have none: the
aggregation's deadline is shown only for rounds that enter it from now on.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'e2a6c8f04b17'
down_revision = 'd4f8a2c6e913'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('scores_hand_overs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('handed_over_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_scores_hand_overs_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scores_hand_overs')),
    sa.UniqueConstraint('round_id', name=op.f('uq_scores_hand_overs_round_id'))
    )


def downgrade():
    op.drop_table('scores_hand_overs')
