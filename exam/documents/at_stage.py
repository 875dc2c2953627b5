"""Documents a round issues as it enters a stage (the announcement as registration opens, the
screening's lists as the tests begin), dated the moment of the move and issued by who made
it, as the audit trail records the move (``round.advance``). They are issued once, by the
first official download after the move (a stage's entry never waits for a PDF, and rounds
moved before this existed get theirs the same way): whoever downloads first issues them, in
a savepoint, and a concurrent second waits for the first's commit (the audit chain's lock,
taken before looking) and finds them issued, so every download serves the same bytes. The
unique number alone could not say it: the second would read the register after the first's
commit and take the next number.

A round put in its stage without a recorded move (none in the application; tests set the
stage directly) has no such moment: nothing is issued and its link renders as before."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import sqlalchemy as sa

from exam.accounts.models import User
from exam.audit.models import AuditEntry
from exam.audit.operations import lock_chain
from exam.extensions import db
from exam.rounds.models import Round, RoundStatus

# issue(round_, actor, at): issues whatever of the stage's documents is not issued yet.
IssueAll = Callable[[Round, User, dt.datetime], None]
EnsureIssued = Callable[[Round], bool]


def stage_entered(round_: Round, target: RoundStatus) -> tuple[dt.datetime, User] | None:
    """When and by whom the round was moved to ``target``, from the audit trail."""
    entries = db.session.scalars(
        sa.select(AuditEntry)
        .where(
            AuditEntry.action == "round.advance",
            AuditEntry.object_type == Round.__name__,
            AuditEntry.object_id == str(round_.id),
        )
        .order_by(AuditEntry.seq)
    )
    for entry in entries:
        if (entry.after or {}).get("status") == target.value and entry.actor_id is not None:
            actor = db.session.get(User, entry.actor_id)
            return (entry.created_at, actor) if actor is not None else None
    return None


def issue_at_stage(target: RoundStatus, issue: IssueAll) -> EnsureIssued:
    """``ensure_issued(round_)`` for documents made official as a round enters ``target``:
    issues them now, dated the move, if the round was moved there (True), else False."""

    def ensure_issued(round_: Round) -> bool:
        if round_.is_before(target):
            return False
        entered = stage_entered(round_, target)
        if entered is None:
            return False
        at, actor = entered
        lock_chain()  # the lock every issue takes anyway, taken before looking
        try:
            with db.session.begin_nested():
                issue(round_, actor, at)
        except sa.exc.IntegrityError:
            pass  # issued meanwhile by another download: theirs stands
        return True

    return ensure_issued
