"""The stages of a round as gates (docs/domain.md §3).

Two rules, used by the domains above the rounds without the rounds knowing them:

- ``require_stage``: an operation runs only in the stages it belongs to (a dossier changes
  while registration is open, a panel scores during the interviews…), refused in words.
- The guards of a move: what must be true before the round moves to a stage, each checked by
  the domain that owns it (the candidates domain knows whether every dossier is decided). A
  domain registers its guards with ``stage_guard``; the app factory imports the modules that
  do (``exam/__init__.py::_register_stage_guards``). The round's page lists what they find
  before the button, and ``advance_round`` refuses while anything is listed.
- The work a move does: what a domain writes when the round enters a stage (the computer
  tests close the papers whose time is up as the round leaves the testing stage, so that the
  interviews' list and the results read closed papers), registered with ``on_entering``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask_babel import lazy_gettext as _l

from exam.core.errors import DomainError
from exam.rounds.models import Round, RoundStatus

Guard = Callable[[Round, dt.datetime], list[str]]

# The guards of each target stage, by the guard's full name (importing a module twice, or a
# second app in the same process, registers nothing twice).
_GUARDS: dict[RoundStatus, dict[str, Guard]] = {}


def register_guard(target: RoundStatus, guard: Guard) -> Guard:
    """``guard(round_, at)`` lists in words why the round cannot move to ``target`` yet."""
    _GUARDS.setdefault(target, {})[f"{guard.__module__}.{guard.__qualname__}"] = guard
    return guard


def stage_guard(target: RoundStatus) -> Callable[[Guard], Guard]:
    """Decorator form of ``register_guard``."""
    return lambda guard: register_guard(target, guard)


def guard_problems(round_: Round, target: RoundStatus, at: dt.datetime) -> list[str]:
    """What every registered guard of ``target`` finds, in the order they were registered."""
    problems: list[str] = []
    for guard in _GUARDS.get(target, {}).values():
        problems += [str(problem) for problem in guard(round_, at)]
    return problems


Step = Callable[[Round, dt.datetime], None]

# What each target stage's entry writes, by the step's full name (as the guards).
_STEPS: dict[RoundStatus, dict[str, Step]] = {}


def on_entering(target: RoundStatus) -> Callable[[Step], Step]:
    """Decorator: ``step(round_, at)`` runs in the transaction that moves the round to
    ``target``, after its guards passed."""

    def register(step: Step) -> Step:
        _STEPS.setdefault(target, {})[f"{step.__module__}.{step.__qualname__}"] = step
        return step

    return register


def run_entry_steps(round_: Round, target: RoundStatus, at: dt.datetime) -> None:
    """Every step registered for ``target``, in the order they were registered."""
    for step in _STEPS.get(target, {}).values():
        step(round_, at)


def stages_between(first: RoundStatus, last: RoundStatus) -> tuple[RoundStatus, ...]:
    """The stages from ``first`` to ``last``, both included, in their order."""
    flow = list(RoundStatus)
    return tuple(flow[flow.index(first) : flow.index(last) + 1])


def _stages_in_words(stages: tuple[RoundStatus, ...]) -> str:
    # Quoted: a stage's title may hold a comma ("Trình bày đề án, phỏng vấn").
    titles = [f"«{stage.title}»" for stage in stages]
    if len(titles) == 1:
        return titles[0]
    return str(_l("%(a)s hoặc %(b)s", a=", ".join(titles[:-1]), b=titles[-1]))


def require_stage(round_: Round, *allowed: RoundStatus, action: Any) -> None:
    """Refuse ``action`` (a verb phrase: "xét hồ sơ") unless the round is in one of the
    ``allowed`` stages."""
    if round_.status in allowed:
        return
    raise DomainError(
        _l(
            "Chỉ được %(action)s khi kỳ thi ở giai đoạn %(stages)s; "
            "kỳ thi đang ở giai đoạn %(now)s.",
            action=action,
            stages=_stages_in_words(allowed),
            now=round_.status.title,
        )
    )
