"""supervision reports issued as documents: each new report points to its issued PDF

Revision ID: 3e8b1d6f4a27
Revises: b7d3e5f1a2c9
Create Date: 2026-12-06 23:50:00

Reports written before keep no document (NULL) and are printed from their data as before.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3e8b1d6f4a27'
down_revision = 'b7d3e5f1a2c9'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('supervision_reports', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_supervision_reports_document_id_issued_documents'),
            'issued_documents',
            ['document_id'],
            ['id'],
        )


def downgrade():
    with op.batch_alter_table('supervision_reports', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_supervision_reports_document_id_issued_documents'), type_='foreignkey'
        )
        batch_op.drop_column('document_id')
