"""a Council meeting closed with its minutes issued once

Revision ID: d4f8a2c6e913
Revises: b7d3e5f1a208
Create Date: 2026-12-07 02:50:00

A meeting points at its minutes in the documents registry once it is closed (set: closed,
no more items or votes). Meetings recorded before are left NULL: open, their minutes
rendered on request as before until they are closed.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd4f8a2c6e913'
down_revision = 'b7d3e5f1a208'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('council_meetings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('minutes_document_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_council_meetings_minutes_document_id'), ['minutes_document_id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_council_meetings_minutes_document_id_issued_documents'),
            'issued_documents',
            ['minutes_document_id'],
            ['id'],
        )


def downgrade():
    with op.batch_alter_table('council_meetings', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_council_meetings_minutes_document_id_issued_documents'),
            type_='foreignkey',
        )
        batch_op.drop_constraint(
            batch_op.f('uq_council_meetings_minutes_document_id'), type_='unique'
        )
        batch_op.drop_column('minutes_document_id')
