"""refused forms kept for the page's next GET (Post/Redirect/Get)

Revision ID: 9c2e5b7d1a48
Revises: f3a8c61d0b95
Create Date: 2026-12-06 19:10:00

A refused form's values (never a password, a file or the CSRF token) and its errors, kept
for an hour at most under a random id named by the session's cookie
(exam/core/refused_forms.py).
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = '9c2e5b7d1a48'
down_revision = 'f3a8c61d0b95'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('refused_forms',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('page', sa.String(length=2000), nullable=False),
    sa.Column('form', sa.String(length=300), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refused_forms'))
    )
    with op.batch_alter_table('refused_forms', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refused_forms_created_at'), ['created_at'], unique=False)


def downgrade():
    with op.batch_alter_table('refused_forms', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refused_forms_created_at'))

    op.drop_table('refused_forms')
