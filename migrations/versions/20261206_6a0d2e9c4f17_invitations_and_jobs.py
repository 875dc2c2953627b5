"""accounts without a password until invited; account tokens; background jobs

Revision ID: 6a0d2e9c4f17
Revises: b81f3c5a7d20
Create Date: 2026-12-06 18:30:00

Imported candidates get no password hash (users.password_hash nullable) and an invitation
to set one (account_tokens, holding only each token's SHA-256); large imports run as jobs.
The outbox gains the invitation and reset notices. Downgrading refuses while accounts
without a password exist.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = '6a0d2e9c4f17'
down_revision = 'b81f3c5a7d20'
branch_labels = None
depends_on = None

OLD_KINDS = ('received', 'eligible', 'not_eligible', 'summons', 'withdrawn')
NEW_KINDS = OLD_KINDS + ('invitation', 'reset')


def _kinds_check(kinds):
    return "kind IN (%s)" % ", ".join(f"'{k}'" for k in kinds)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=True)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_noticekind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_noticekind'), _kinds_check(NEW_KINDS))

    op.create_table('account_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('purpose', sa.Enum('invitation', 'password_reset', name='tokenpurpose', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('used_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_account_tokens_expires_after_creation')),
    sa.CheckConstraint('used_at IS NULL OR used_at >= created_at', name=op.f('ck_account_tokens_used_after_creation')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_account_tokens_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_account_tokens_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_account_tokens_token_hash'))
    )
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_tokens_user_id'), ['user_id'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=60), nullable=False),
    sa.Column('status', sa.Enum('queued', 'running', 'done', 'failed', name='jobstatus', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('done', sa.Integer(), nullable=False),
    sa.Column('total', sa.Integer(), nullable=False),
    sa.Column('message', sa.String(length=500), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('finished_at', exam.core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint('done >= 0 AND total >= 0 AND done <= total', name=op.f('ck_jobs_progress_bounds')),
    sa.CheckConstraint("(status IN ('done', 'failed')) = (finished_at IS NOT NULL)", name=op.f('ck_jobs_finished_iff_dated')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_jobs_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_created_by_id'), ['created_by_id'], unique=False)


def downgrade():
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_jobs_created_by_id'))
    op.drop_table('jobs')
    with op.batch_alter_table('account_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_tokens_user_id'))
    op.drop_table('account_tokens')

    outbox = sa.table('outbox_messages', sa.column('kind', sa.String))
    op.execute(outbox.delete().where(outbox.c.kind.in_(('invitation', 'reset'))))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_noticekind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_noticekind'), _kinds_check(OLD_KINDS))

    users = sa.table('users', sa.column('password_hash', sa.String))
    remaining = op.get_bind().execute(
        sa.select(sa.func.count()).select_from(users).where(users.c.password_hash.is_(None))
    ).scalar()
    if remaining:
        raise RuntimeError(
            f"{remaining} accounts have no password (invited, not accepted): "
            "cannot make users.password_hash NOT NULL again"
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('password_hash', existing_type=sa.String(length=255), nullable=False)
