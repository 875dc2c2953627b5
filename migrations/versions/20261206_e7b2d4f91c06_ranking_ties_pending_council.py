"""ranking ties: equal ranks, a table order of their own, posts left to the Council

Revision ID: e7b2d4f91c06
Revises: c4f1a9d2e873
Create Date: 2026-12-06 19:00:00

``ranking_rows`` is rebuilt in batch mode on SQLite (no table refers to it); ``rankings`` is
not (see upgrade()).

Candidates equal in law now share their rank (1, 1, 3), so the rank is no longer unique in a
ranking: the table's order moves to ``row_number``, unique (filled from the old ranks, which
were 1..n). A tie for the last post is ``pending_council`` and its posts are counted in
``rankings.undecided_posts``.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e7b2d4f91c06'
down_revision = 'c4f1a9d2e873'
branch_labels = None
depends_on = None

OLD_OUTCOMES = ('selected', 'not_selected', 'failed_gate', 'reserved')
NEW_OUTCOMES = (*OLD_OUTCOMES, 'pending_council')


def _outcome(values: tuple[str, ...]) -> sa.Enum:
    return sa.Enum(*values, name='outcome', native_enum=False, create_constraint=True)


def upgrade():
    # Not in batch mode: on SQLite, rebuilding ``rankings`` would drop it, and with foreign
    # keys on, dropping a table deletes its rows' ranking rows (ON DELETE CASCADE). Adding a
    # column with its CHECK is a plain ALTER TABLE on both databases.
    op.add_column(
        'rankings',
        sa.Column(
            'undecided_posts',
            sa.Integer(),
            sa.CheckConstraint(
                'undecided_posts >= 0', name=op.f('ck_rankings_undecided_posts_positive')
            ),
            server_default='0',
            nullable=False,
        ),
    )

    with op.batch_alter_table('ranking_rows', schema=None) as batch_op:
        batch_op.add_column(sa.Column('row_number', sa.Integer(), nullable=True))
    rows = sa.table(
        'ranking_rows', sa.column('rank', sa.Integer), sa.column('row_number', sa.Integer)
    )
    op.execute(rows.update().values(row_number=rows.c.rank))

    with op.batch_alter_table('ranking_rows', schema=None) as batch_op:
        batch_op.alter_column('row_number', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_constraint(op.f('uq_ranking_rows_ranking_id_rank'), type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_ranking_rows_ranking_id_row_number'), ['ranking_id', 'row_number']
        )
        batch_op.create_check_constraint(
            op.f('ck_ranking_rows_rank_within_row_number'), 'rank <= row_number'
        )
        batch_op.alter_column(
            'outcome', existing_type=_outcome(OLD_OUTCOMES), type_=_outcome(NEW_OUTCOMES)
        )


def downgrade():
    rows = sa.table('ranking_rows', sa.column('outcome', sa.String))
    op.execute(
        rows.update().where(rows.c.outcome == 'pending_council').values(outcome='not_selected')
    )
    ranks = sa.table(
        'ranking_rows', sa.column('rank', sa.Integer), sa.column('row_number', sa.Integer)
    )
    op.execute(ranks.update().values(rank=ranks.c.row_number))
    with op.batch_alter_table('ranking_rows', schema=None) as batch_op:
        batch_op.alter_column(
            'outcome', existing_type=_outcome(NEW_OUTCOMES), type_=_outcome(OLD_OUTCOMES)
        )
        batch_op.drop_constraint(op.f('ck_ranking_rows_rank_within_row_number'), type_='check')
        batch_op.drop_constraint(op.f('uq_ranking_rows_ranking_id_row_number'), type_='unique')
        batch_op.create_unique_constraint(
            op.f('uq_ranking_rows_ranking_id_rank'), ['ranking_id', 'rank']
        )
        batch_op.drop_column('row_number')

    op.drop_column('rankings', 'undecided_posts')  # not batch: see upgrade()
