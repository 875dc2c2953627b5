"""Panels' set-up shared by tests of other domains: members declare before they score."""

from __future__ import annotations

import datetime as dt

from exam.panels.models import Panel, Relation
from exam.panels.operations import declare
from exam.panels.queries import declarations_of, interview_list


def declare_no_relation(panel: Panel, at: dt.datetime) -> None:
    """Every member declares no relation to every candidate of the panel's list not yet
    declared (a member who has not declared cannot score anyone)."""
    for member in panel.members:
        declared = declarations_of(member)
        for application in interview_list(panel):
            if application.id not in declared:
                declare(member, application, Relation.NONE, actor=member.user, at=at)
