"""The supervisory board of a round reads its trail and writes its reports; nobody else."""

from __future__ import annotations

from typing import Any

from exam.rounds.permissions import SUPERVISORY, sits_in


def can_supervise(user: Any, round_: Any) -> bool:
    return sits_in(user, round_, SUPERVISORY)
