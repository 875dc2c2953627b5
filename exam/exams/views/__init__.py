"""The exams domain's pages, one blueprint split by audience: the board (``manage``), the
invigilators (``invigilate``), the candidate (``sit``), the exam page's JSON API (``api``) and
the admission cards (``cards``)."""

from exam.exams.views import (  # noqa: F401  (routes register on bp)
    api,
    cards,
    invigilate,
    manage,
    sit,
)
from exam.exams.views.blueprint import bp

__all__ = ["bp"]
