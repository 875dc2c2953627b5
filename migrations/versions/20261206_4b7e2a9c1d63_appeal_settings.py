"""the appeals' numbers as round settings on the marking plan

Revision ID: 4b7e2a9c1d63
Revises: b5d1f7e3a926
Create Date: 2026-12-06 23:30:00

The appeal window in working days (5), the re-markers' agreement limit (5), the distance from
the published score under which a re-mark replaces it (5) and the re-marking's days after the
window closes (10, up to 20): constants until now, columns of marking_plans with the law's
values for the plans that exist.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4b7e2a9c1d63'
down_revision = 'b5d1f7e3a926'
branch_labels = None
depends_on = None

COLUMNS = (
    ('appeal_working_days', sa.Integer(), '5'),
    ('remark_agree_limit', sa.Numeric(precision=5, scale=2), '5'),
    ('replace_limit', sa.Numeric(precision=5, scale=2), '5'),
    ('remark_days', sa.Integer(), '10'),
)


def upgrade():
    with op.batch_alter_table('marking_plans', schema=None) as batch_op:
        for name, type_, default in COLUMNS:
            batch_op.add_column(sa.Column(name, type_, nullable=False, server_default=default))
    with op.batch_alter_table('marking_plans', schema=None) as batch_op:
        for name, type_, _ in COLUMNS:
            batch_op.alter_column(name, existing_type=type_, server_default=None)
        batch_op.create_check_constraint(
            op.f('ck_marking_plans_appeal_days_range'),
            'appeal_working_days BETWEEN 1 AND 30 AND remark_days BETWEEN 1 AND 20',
        )
        batch_op.create_check_constraint(
            op.f('ck_marking_plans_appeal_limits_range'),
            'remark_agree_limit >= 0 AND remark_agree_limit <= 100 '
            'AND replace_limit > 0 AND replace_limit <= 100',
        )


def downgrade():
    with op.batch_alter_table('marking_plans', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_marking_plans_appeal_limits_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_marking_plans_appeal_days_range'), type_='check')
        for name, _, _ in reversed(COLUMNS):
            batch_op.drop_column(name)
