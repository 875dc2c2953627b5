"""the hand-over's minutes, the panel's sheets and minutes and the results report issued once

Revision ID: b7d3e5f1a208
Revises: c5e1a9d7f302
Create Date: 2026-12-07 02:40:00

Each row points at its document in the registry once issued: the marking plan at the
hand-over's minutes, a sealed score sheet at the sheet as issued, a panel at its session's
minutes (set: the record is closed), a version's decision at the board's report. Rows made
before are left NULL: their PDFs are rendered on request as before.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7d3e5f1a208'
down_revision = 'c5e1a9d7f302'
branch_labels = None
depends_on = None

LINKS = (
    ('marking_plans', 'hand_over_document_id'),
    ('score_sheets', 'document_id'),
    ('panels', 'minutes_document_id'),
    ('ranking_decisions', 'report_document_id'),
)


def upgrade():
    for table, column in LINKS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
            batch_op.create_unique_constraint(batch_op.f(f'uq_{table}_{column}'), [column])
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_{column}_issued_documents'),
                'issued_documents',
                [column],
                ['id'],
            )


def downgrade():
    for table, column in reversed(LINKS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(
                batch_op.f(f'fk_{table}_{column}_issued_documents'), type_='foreignkey'
            )
            batch_op.drop_constraint(batch_op.f(f'uq_{table}_{column}'), type_='unique')
            batch_op.drop_column(column)
