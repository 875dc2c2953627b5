"""a per-paper secret for the option tokens shown on the exam page

Revision ID: 5d1e0c7a9b42
Revises: 7b88087807db
Create Date: 2026-12-06 18:00:00

Papers made before this revision get a random secret each; papers rendered ahead of time
(a cache) showed the bank's ids and are dropped, to be rendered again with tokens.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5d1e0c7a9b42'
down_revision = '7b88087807db'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('token_secret', sa.String(length=32), nullable=True))

    attempts = sa.table('attempts', sa.column('id', sa.Integer), sa.column('token_secret', sa.String))
    connection = op.get_bind()
    for (attempt_id,) in connection.execute(sa.select(attempts.c.id)).all():
        connection.execute(
            attempts.update()
            .where(attempts.c.id == attempt_id)
            .values(token_secret=secrets.token_hex(16))
        )

    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.alter_column('token_secret', existing_type=sa.String(length=32), nullable=False)

    op.execute('DELETE FROM rendered_papers')


def downgrade():
    with op.batch_alter_table('attempts', schema=None) as batch_op:
        batch_op.drop_column('token_secret')
