"""the proposal to the appointing authority issued once per approved version

Revision ID: a4c9e2f7b318
Revises: d3a7f1c9e064
Create Date: 2026-12-07 00:05:00

A version's decision points at its proposal (tờ trình) once the board has issued it with its
own number; the bytes live in the documents registry.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4c9e2f7b318'
down_revision = 'd3a7f1c9e064'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ranking_decisions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposal_document_id', sa.Integer(), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f('uq_ranking_decisions_proposal_document_id'), ['proposal_document_id']
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_ranking_decisions_proposal_document_id_issued_documents'),
            'issued_documents',
            ['proposal_document_id'],
            ['id'],
        )


def downgrade():
    with op.batch_alter_table('ranking_decisions', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_ranking_decisions_proposal_document_id_issued_documents'),
            type_='foreignkey',
        )
        batch_op.drop_constraint(
            batch_op.f('uq_ranking_decisions_proposal_document_id'), type_='unique'
        )
        batch_op.drop_column('proposal_document_id')
