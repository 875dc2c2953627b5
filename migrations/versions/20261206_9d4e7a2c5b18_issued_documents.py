"""issued documents: official PDFs stored once with their SHA-256 and verification code

Revision ID: 9d4e7a2c5b18
Revises: c1f0a7d3e952
Create Date: 2026-12-06 23:30:00

"""
from alembic import op
import sqlalchemy as sa
import exam.core.db


# revision identifiers, used by Alembic.
revision = '9d4e7a2c5b18'
down_revision = 'c1f0a7d3e952'
branch_labels = None
depends_on = None

KINDS = (
    'supervision_report',
    'round_announcement',
    'admission_card',
    'results_decision',
    'result_notice',
    'results_proposal',
)


def upgrade():
    op.create_table('issued_documents',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum(*KINDS, name='documentkind', native_enum=False, create_constraint=True, length=18), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=60), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('issuer', sa.String(length=300), nullable=False),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('subject_user_id', sa.Integer(), nullable=True),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('storage_path', sa.String(length=300), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('length(code) = 10', name=op.f('ck_issued_documents_code_length')),
    sa.CheckConstraint('length(sha256) = 64', name=op.f('ck_issued_documents_sha256_length')),
    sa.CheckConstraint('length(number) > 0', name=op.f('ck_issued_documents_number_not_empty')),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_issued_documents_title_not_empty')),
    sa.CheckConstraint('length(issuer) > 0', name=op.f('ck_issued_documents_issuer_not_empty')),
    sa.CheckConstraint('size > 0', name=op.f('ck_issued_documents_size_positive')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_issued_documents_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_issued_documents_round_id_rounds')),
    sa.ForeignKeyConstraint(['subject_user_id'], ['users.id'], name=op.f('fk_issued_documents_subject_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_issued_documents')),
    sa.UniqueConstraint('code', name=op.f('uq_issued_documents_code')),
    sa.UniqueConstraint('round_id', 'kind', 'number', 'subject_user_id', name=op.f('uq_issued_documents_round_id_kind_number_subject_user_id'))
    )
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_issued_documents_round_id'), ['round_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_issued_documents_subject_user_id'), ['subject_user_id'], unique=False)
        batch_op.create_index(
            'uq_issued_documents_number_without_subject',
            ['round_id', 'kind', 'number'],
            unique=True,
            sqlite_where=sa.text('subject_user_id IS NULL'),
            postgresql_where=sa.text('subject_user_id IS NULL'),
        )


def downgrade():
    with op.batch_alter_table('issued_documents', schema=None) as batch_op:
        batch_op.drop_index('uq_issued_documents_number_without_subject')
        batch_op.drop_index(batch_op.f('ix_issued_documents_subject_user_id'))
        batch_op.drop_index(batch_op.f('ix_issued_documents_round_id'))

    op.drop_table('issued_documents')
