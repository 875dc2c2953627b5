"""the bank's own record of a question's first use on a paper

Revision ID: 4227c0120892
Revises: a7e3c9d15b42
Create Date: 2026-12-06 21:10:00

The bank learned that a question was used by reading the exams' papers (an upward import);
it now keeps the first use itself, set by the exams domain when papers are drawn. Questions
already on a paper get the time their test's papers were drawn (else the paper's creation).
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = '4227c0120892'
down_revision = 'a7e3c9d15b42'
branch_labels = None
depends_on = None


# The first use of each question already on a paper (read by tests/question_bank too).
BACKFILL = """
UPDATE questions SET first_used_at = (
    SELECT MIN(COALESCE(tests.papers_generated_at, attempts.created_at))
    FROM attempt_questions
    JOIN question_versions ON question_versions.id = attempt_questions.question_version_id
    JOIN attempts ON attempts.id = attempt_questions.attempt_id
    JOIN tests ON tests.id = attempts.test_id
    WHERE question_versions.question_id = questions.id
)
"""


def upgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('first_used_at', exam.core.db.UTCDateTime(timezone=True), nullable=True)
        )
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('questions', schema=None) as batch_op:
        batch_op.drop_column('first_used_at')
