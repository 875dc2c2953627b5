"""one panel for several positions: the positions a panel serves

Revision ID: b5d1f7e3a926
Revises: d8f2a6c4e915
Create Date: 2026-12-06 21:30:00

Each existing panel serves the position it was set up for (copied from panels.position_id,
which stays as the panel's first position).
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b5d1f7e3a926'
down_revision = 'd8f2a6c4e915'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('panel_positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('panel_id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['panel_id'], ['panels.id'], name=op.f('fk_panel_positions_panel_id_panels'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_panel_positions_position_id_positions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_panel_positions')),
    sa.UniqueConstraint('position_id', name=op.f('uq_panel_positions_position_id'))
    )
    op.execute(
        'INSERT INTO panel_positions (panel_id, position_id) '
        'SELECT id, position_id FROM panels ORDER BY id'
    )


def downgrade():
    op.drop_table('panel_positions')
