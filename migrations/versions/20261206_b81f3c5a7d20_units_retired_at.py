"""a unit of the organisation tree may be retired (dissolved, merged)

Revision ID: b81f3c5a7d20
Revises: e7b2d4f91c06
Create Date: 2026-12-06 18:30:00

"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'b81f3c5a7d20'
down_revision = 'e7b2d4f91c06'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('retired_at', exam.core.db.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade():
    with op.batch_alter_table('units', schema=None) as batch_op:
        batch_op.drop_column('retired_at')
