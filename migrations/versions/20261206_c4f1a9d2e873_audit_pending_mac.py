"""pending audit entries carry a MAC

Revision ID: c4f1a9d2e873
Revises: a3c9e1f27b50
Create Date: 2026-12-06 18:00:00

Run `flask audit seal` before upgrading: a pending row written before this revision has no
MAC (an empty one) and would be refused at sealing like a forged one.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4f1a9d2e873'
down_revision = 'a3c9e1f27b50'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('audit_pending', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('mac', sa.String(length=64), server_default='', nullable=False)
        )
    with op.batch_alter_table('audit_pending', schema=None) as batch_op:
        batch_op.alter_column('mac', server_default=None)


def downgrade():
    with op.batch_alter_table('audit_pending', schema=None) as batch_op:
        batch_op.drop_column('mac')
