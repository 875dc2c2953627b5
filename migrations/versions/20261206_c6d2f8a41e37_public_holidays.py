"""public holidays, skipped by the working days of the appeal window

Revision ID: c6d2f8a41e37
Revises: b81e4d7c2a90
Create Date: 2026-12-06 21:00:00

One row per holiday (its day unique), kept by platform administration: the lunar holidays
(Tết, the Hùng Kings' day) and the days moved by the government change every year.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'c6d2f8a41e37'
down_revision = 'b81e4d7c2a90'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('public_holidays',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_public_holidays_name_not_empty')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_public_holidays')),
    sa.UniqueConstraint('day', name=op.f('uq_public_holidays_day'))
    )


def downgrade():
    op.drop_table('public_holidays')
