"""the round's results formula: parts with gates and weights, a tie-break chain, a reserve;
further parts' scores; each ranking row's part scores, total and explanation

Revision ID: c1f0a7d3e952
Revises: 4b7e2a9c1d63
Create Date: 2026-12-06 23:20:00

Every existing round gets the leadership preset, which is what the results computed before
(the computer test a gate at the round's pass mark, the panel score the whole total, at least
the round's minimum; ties ordered by the test score, then the Council).
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'c1f0a7d3e952'
down_revision = '4b7e2a9c1d63'
branch_labels = None
depends_on = None

PRESETS = ('leadership', 'civil_service', 'custom')
KINDS = ('computer_test', 'written_test', 'interview', 'other')


def upgrade():
    op.create_table('result_formulas',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('preset', sa.Enum(*PRESETS, name='formulapreset', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('winner_min_score', sa.Integer(), nullable=False),
    sa.Column('reserve_count', sa.Integer(), nullable=False),
    sa.CheckConstraint('reserve_count >= 0', name=op.f('ck_result_formulas_reserve_count_positive')),
    sa.CheckConstraint('winner_min_score BETWEEN 0 AND 100', name=op.f('ck_result_formulas_winner_min_score_range')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_result_formulas_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_result_formulas')),
    sa.UniqueConstraint('round_id', name=op.f('uq_result_formulas_round_id'))
    )
    op.create_table('formula_parts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('formula_id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum(*KINDS, name='partkind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('gate', sa.Integer(), nullable=True),
    sa.Column('weight', sa.Integer(), nullable=True),
    sa.Column('tie_break', sa.Integer(), nullable=True),
    sa.CheckConstraint('gate IS NOT NULL OR weight IS NOT NULL', name=op.f('ck_formula_parts_gate_or_weight')),
    sa.CheckConstraint('gate IS NULL OR gate BETWEEN 0 AND 100', name=op.f('ck_formula_parts_gate_range')),
    sa.CheckConstraint('length(name) > 0', name=op.f('ck_formula_parts_name_not_empty')),
    sa.CheckConstraint('seq >= 1', name=op.f('ck_formula_parts_seq_positive')),
    sa.CheckConstraint('tie_break IS NULL OR tie_break >= 1', name=op.f('ck_formula_parts_tie_break_positive')),
    sa.CheckConstraint('weight IS NULL OR weight BETWEEN 1 AND 100', name=op.f('ck_formula_parts_weight_range')),
    sa.ForeignKeyConstraint(['formula_id'], ['result_formulas.id'], name=op.f('fk_formula_parts_formula_id_result_formulas'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_formula_parts')),
    sa.UniqueConstraint('formula_id', 'name', name=op.f('uq_formula_parts_formula_id_name')),
    sa.UniqueConstraint('formula_id', 'seq', name=op.f('uq_formula_parts_formula_id_seq')),
    sa.UniqueConstraint('formula_id', 'tie_break', name=op.f('uq_formula_parts_formula_id_tie_break'))
    )
    op.create_table('part_scores',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('part_id', sa.Integer(), nullable=False),
    sa.Column('application_id', sa.Integer(), nullable=False),
    sa.Column('score', sa.Numeric(precision=5, scale=2), nullable=False),
    sa.Column('entered_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('entered_by_id', sa.Integer(), nullable=False),
    sa.CheckConstraint('score BETWEEN 0 AND 100', name=op.f('ck_part_scores_score_range')),
    sa.ForeignKeyConstraint(['application_id'], ['applications.id'], name=op.f('fk_part_scores_application_id_applications'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entered_by_id'], ['users.id'], name=op.f('fk_part_scores_entered_by_id_users')),
    sa.ForeignKeyConstraint(['part_id'], ['formula_parts.id'], name=op.f('fk_part_scores_part_id_formula_parts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_part_scores')),
    sa.UniqueConstraint('part_id', 'application_id', name=op.f('uq_part_scores_part_id_application_id'))
    )
    # Plain ALTER TABLEs (no batch rebuild): the columns are nullable or have a default.
    op.add_column('ranking_rows', sa.Column('written_score', sa.Numeric(precision=5, scale=2), nullable=True))
    op.add_column('ranking_rows', sa.Column('total', sa.Numeric(precision=5, scale=2), nullable=True))
    op.add_column('ranking_rows', sa.Column('part_scores', sa.JSON(), server_default='[]', nullable=False))
    op.add_column('ranking_rows', sa.Column('explanation', sa.Text(), server_default='', nullable=False))

    # Every existing round keeps the rule it was computed by: the leadership preset.
    connection = op.get_bind()
    rounds = connection.execute(
        sa.text('SELECT id, test_pass_mark, winner_min_score FROM rounds ORDER BY id')
    ).all()
    formulas = sa.table(
        'result_formulas',
        sa.column('id', sa.Integer), sa.column('round_id', sa.Integer),
        sa.column('preset', sa.String), sa.column('winner_min_score', sa.Integer),
        sa.column('reserve_count', sa.Integer),
    )
    parts = sa.table(
        'formula_parts',
        sa.column('formula_id', sa.Integer), sa.column('seq', sa.Integer),
        sa.column('kind', sa.String), sa.column('name', sa.String),
        sa.column('gate', sa.Integer), sa.column('weight', sa.Integer),
        sa.column('tie_break', sa.Integer),
    )
    for round_id, pass_mark, winner_min in rounds:
        connection.execute(formulas.insert().values(
            round_id=round_id, preset='leadership', winner_min_score=winner_min,
            reserve_count=0,
        ))
        formula_id = connection.execute(
            sa.text('SELECT id FROM result_formulas WHERE round_id = :r'), {'r': round_id}
        ).scalar_one()
        connection.execute(parts.insert(), [
            dict(formula_id=formula_id, seq=1, kind='computer_test',
                 name='Thi trắc nghiệm trên máy tính', gate=pass_mark, weight=None, tie_break=1),
            dict(formula_id=formula_id, seq=2, kind='interview', name='Đề án, phỏng vấn',
                 gate=None, weight=100, tie_break=None),
        ])


def downgrade():
    op.drop_column('ranking_rows', 'explanation')
    op.drop_column('ranking_rows', 'part_scores')
    op.drop_column('ranking_rows', 'total')
    op.drop_column('ranking_rows', 'written_score')
    op.drop_table('part_scores')
    op.drop_table('formula_parts')
    op.drop_table('result_formulas')
