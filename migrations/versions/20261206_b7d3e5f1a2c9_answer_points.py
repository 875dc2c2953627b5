"""answers.points: the points a response earns, scored when it is saved

Revision ID: b7d3e5f1a2c9
Revises: 6a1f3c8e2d47
Create Date: 2026-12-06 23:40:00

Submitting or closing a paper then only adds up the stored points (issue 17: the deadline
rush). Every answer already saved is scored here by its question's key, as the save path
scores it (exam.exams.scoring.answer_points); essays keep None.
"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'b7d3e5f1a2c9'
down_revision = '6a1f3c8e2d47'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('points', sa.Double(), nullable=True))

    from exam.exams.scoring import answer_points  # the save path's own scoring

    answers = sa.table(
        'answers',
        sa.column('id', sa.Integer),
        sa.column('attempt_question_id', sa.Integer),
        sa.column('response', sa.JSON),
        sa.column('points', sa.Float),
    )
    items = sa.table(
        'attempt_questions',
        sa.column('id', sa.Integer),
        sa.column('question_version_id', sa.Integer),
        sa.column('points', sa.Float),
    )
    versions = sa.table(
        'question_versions',
        sa.column('id', sa.Integer),
        sa.column('type', sa.String),
        sa.column('data', sa.JSON),
    )
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(
            answers.c.id, answers.c.response, items.c.points, versions.c.type, versions.c.data
        )
        .join(items, items.c.id == answers.c.attempt_question_id)
        .join(versions, versions.c.id == items.c.question_version_id)
    ).all()
    scored = [
        {'answer': row.id, 'value': answer_points(row.type, row.data, row.points, row.response)}
        for row in rows
    ]
    scored = [entry for entry in scored if entry['value'] is not None]
    if scored:
        connection.execute(
            answers.update()
            .where(answers.c.id == sa.bindparam('answer'))
            .values(points=sa.bindparam('value')),
            scored,
        )


def downgrade():
    with op.batch_alter_table('answers', schema=None) as batch_op:
        batch_op.drop_column('points')
