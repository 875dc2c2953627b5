"""Inviting a round's candidates to set their password: those imported from Excel have an
account without one (``exam/accounts/invitations.py`` makes and sends the links)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from exam.accounts.invitations import awaiting_invitation, invite_many
from exam.accounts.models import Role, RoleGrant, User
from exam.audit.operations import record
from exam.candidates.models import Application
from exam.extensions import db
from exam.rounds.models import Round


def uninvited_candidates(round_: Round) -> list[User]:
    """Candidates of the round whose account has no password and was never invited."""
    return list(
        db.session.scalars(
            sa.select(User)
            .join(Application, Application.candidate_id == User.id)
            .join(RoleGrant, RoleGrant.user_id == User.id)
            .where(
                Application.round_id == round_.id,
                RoleGrant.role == Role.CANDIDATE,
                awaiting_invitation(),
            )
            .order_by(User.id)
        )
    )


def application_in_round(round_: Round, candidate_id: int) -> Application | None:
    return db.session.scalars(
        sa.select(Application).where(
            Application.round_id == round_.id, Application.candidate_id == candidate_id
        )
    ).first()


def invite_uninvited(round_: Round, *, actor: User, at: dt.datetime) -> int:
    """Invite every candidate of the round who has no password and no invitation yet, with
    one audit entry naming them."""
    users = uninvited_candidates(round_)
    if not users:
        return 0
    expires_at = invite_many(users, actor=actor, at=at)
    record(
        "round.invite_candidates",
        round_,
        actor=actor,
        after={"count": len(users), "user_ids": [u.id for u in users], "expires_at": expires_at},
    )
    return len(users)
