"""The exams domain's pages, one blueprint split by audience: the board (``manage``), the
invigilators (``invigilate``), the candidate (``sit``) and the exam page's JSON API (``api``)."""

from exam.exams.views import api, invigilate, manage, sit  # noqa: F401  (routes register on bp)
from exam.exams.views.blueprint import bp

__all__ = ["bp"]
