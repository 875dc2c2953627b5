"""the hand-over minutes' number taken at the hand-over, their document issued by a job

Revision ID: f3b9d1e7a524
Revises: e2a6c8f04b17
Create Date: 2026-12-07 06:10:00

The minutes were rendered inside the hand-over's request; now a background job issues them,
and the number they get is recorded on the plan in the hand-over's transaction so that the
Council's register holds it meanwhile. Plans whose minutes were issued already get their
document's number.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b9d1e7a524'
down_revision = 'e2a6c8f04b17'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('marking_plans', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hand_over_number', sa.String(length=50), nullable=True))
    op.execute(
        "UPDATE marking_plans SET hand_over_number = ("
        "SELECT number FROM issued_documents WHERE issued_documents.id = "
        "marking_plans.hand_over_document_id) WHERE hand_over_document_id IS NOT NULL"
    )
    with op.batch_alter_table('marking_plans', schema=None) as batch_op:
        batch_op.create_check_constraint(
            op.f('ck_marking_plans_hand_over_number_when_handed_over'),
            'hand_over_number IS NULL OR handed_over_at IS NOT NULL',
        )


def downgrade():
    with op.batch_alter_table('marking_plans', schema=None) as batch_op:
        batch_op.drop_constraint(
            op.f('ck_marking_plans_hand_over_number_when_handed_over'), type_='check'
        )
        batch_op.drop_column('hand_over_number')
