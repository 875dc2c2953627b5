"""session tokens (revocable sign-in sessions); the "address has an account" notice

Revision ID: f3a8c61d0b95
Revises: 6a0d2e9c4f17
Create Date: 2026-12-06 19:00:00

Every session names its account's session token, which changes at sign-out, password change
and deactivation (exam/accounts/sessions.py). Existing accounts get a random token each, so
every session signed in before the upgrade ends. Registering again with the address of an
account e-mails its owner (has_account) instead of saying so on the page.
"""
import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3a8c61d0b95'
down_revision = '6a0d2e9c4f17'
branch_labels = None
depends_on = None

OLD_KINDS = ('received', 'eligible', 'not_eligible', 'summons', 'withdrawn', 'invitation', 'reset')
NEW_KINDS = OLD_KINDS + ('has_account',)


def _kinds_check(kinds):
    return "kind IN (%s)" % ", ".join(f"'{k}'" for k in kinds)


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    users = sa.table('users', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    connection = op.get_bind()
    for (user_id,) in connection.execute(sa.select(users.c.id)).all():
        connection.execute(
            users.update()
            .where(users.c.id == user_id)
            .values(session_token=secrets.token_urlsafe(32))
        )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)

    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_noticekind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_noticekind'), _kinds_check(NEW_KINDS))


def downgrade():
    outbox = sa.table('outbox_messages', sa.column('kind', sa.String))
    op.execute(outbox.delete().where(outbox.c.kind == 'has_account'))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_outbox_messages_noticekind'), type_='check')
        batch_op.create_check_constraint(op.f('ck_outbox_messages_noticekind'), _kinds_check(OLD_KINDS))

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_token')
