"""a round's bodies (the Council, its boards, the supervisory board), their members, and the
Council's meetings with their votes

Revision ID: d5a8c3e1b7f2
Revises: 9c2e5b7d1a48
Create Date: 2026-12-06 20:30:00

Each body is set up by a decision (number unique within the round, date, signer); one Chair
or head per body (a partial unique index); one vote per attendee and item.
"""
from alembic import op
import sqlalchemy as sa

import exam.core.db


# revision identifiers, used by Alembic.
revision = 'd5a8c3e1b7f2'
down_revision = '9c2e5b7d1a48'
branch_labels = None
depends_on = None

FUNCTIONS = ('chair', 'vice_chair', 'head', 'deputy', 'secretary', 'member')
LEADERS = sa.text("function IN ('chair', 'head')")


def upgrade():
    op.create_table('bodies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('council', 'supervisory', 'eligibility', 'questions', 'invigilation', 'anonymisation', 'marking', 'remarking', 'interview', name='bodykind', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('decision_number', sa.String(length=50), nullable=False),
    sa.Column('decision_on', sa.Date(), nullable=False),
    sa.Column('signer_name', sa.String(length=120), nullable=False),
    sa.Column('signer_title', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(kind = 'interview') = (name != '')", name=op.f('ck_bodies_only_panels_named')),
    sa.CheckConstraint('length(decision_number) > 0', name=op.f('ck_bodies_decision_number_not_empty')),
    sa.CheckConstraint('length(signer_name) > 0', name=op.f('ck_bodies_signer_name_not_empty')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_bodies_created_by_id_users')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_bodies_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bodies')),
    sa.UniqueConstraint('round_id', 'decision_number', name=op.f('uq_bodies_round_id_decision_number')),
    sa.UniqueConstraint('round_id', 'kind', 'name', name=op.f('uq_bodies_round_id_kind_name'))
    )
    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bodies_round_id'), ['round_id'], unique=False)

    op.create_table('council_meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('held_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('presiding_id', sa.Integer(), nullable=False),
    sa.Column('council_size', sa.Integer(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.CheckConstraint('council_size >= 1', name=op.f('ck_council_meetings_council_size_positive')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_council_meetings_body_id_bodies')),
    sa.ForeignKeyConstraint(['presiding_id'], ['users.id'], name=op.f('fk_council_meetings_presiding_id_users')),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_council_meetings_recorded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_meetings'))
    )
    with op.batch_alter_table('council_meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_council_meetings_body_id'), ['body_id'], unique=False)

    op.create_table('memberships',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('function', sa.Enum(*FUNCTIONS, name='memberfunction', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('post', sa.String(length=200), nullable=False),
    sa.Column('created_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_memberships_body_id_bodies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_memberships_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_memberships')),
    sa.UniqueConstraint('body_id', 'user_id', name=op.f('uq_memberships_body_id_user_id'))
    )
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_memberships_user_id'), ['user_id'], unique=False)
        batch_op.create_index(
            'uq_memberships_one_leader',
            ['body_id'],
            unique=True,
            sqlite_where=LEADERS,
            postgresql_where=LEADERS,
        )

    op.create_table('council_meeting_attendees',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('function', sa.Enum(*FUNCTIONS, name='memberfunction', native_enum=False, create_constraint=True), nullable=False),
    sa.ForeignKeyConstraint(['meeting_id'], ['council_meetings.id'], name=op.f('fk_council_meeting_attendees_meeting_id_council_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_council_meeting_attendees_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_meeting_attendees')),
    sa.UniqueConstraint('meeting_id', 'user_id', name=op.f('uq_council_meeting_attendees_meeting_id_user_id'))
    )
    op.create_table('council_meeting_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=300), nullable=False),
    sa.Column('motion', sa.Text(), nullable=False),
    sa.CheckConstraint('length(title) > 0', name=op.f('ck_council_meeting_items_title_not_empty')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_council_meeting_items_number_positive')),
    sa.ForeignKeyConstraint(['meeting_id'], ['council_meetings.id'], name=op.f('fk_council_meeting_items_meeting_id_council_meetings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_meeting_items')),
    sa.UniqueConstraint('meeting_id', 'number', name=op.f('uq_council_meeting_items_meeting_id_number'))
    )
    op.create_table('council_votes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('item_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('choice', sa.Enum('for', 'against', 'abstain', name='votechoice', native_enum=False, create_constraint=True), nullable=False),
    sa.Column('cast_at', exam.core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['item_id'], ['council_meeting_items.id'], name=op.f('fk_council_votes_item_id_council_meeting_items'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_council_votes_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_council_votes')),
    sa.UniqueConstraint('item_id', 'user_id', name=op.f('uq_council_votes_item_id_user_id'))
    )


def downgrade():
    op.drop_table('council_votes')
    op.drop_table('council_meeting_items')
    op.drop_table('council_meeting_attendees')
    with op.batch_alter_table('memberships', schema=None) as batch_op:
        batch_op.drop_index('uq_memberships_one_leader', sqlite_where=LEADERS, postgresql_where=LEADERS)
        batch_op.drop_index(batch_op.f('ix_memberships_user_id'))

    op.drop_table('memberships')
    with op.batch_alter_table('council_meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_council_meetings_body_id'))

    op.drop_table('council_meetings')
    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bodies_round_id'))

    op.drop_table('bodies')
