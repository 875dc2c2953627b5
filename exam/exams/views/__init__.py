"""The exams domain's pages, one blueprint split by audience: the board (``manage``), the
invigilators (``invigilate``), the candidate (``sit``) and the exam page's JSON API (``api``)."""

from flask import Blueprint

bp = Blueprint("exams", __name__)

# The routes register on ``bp`` when their modules are imported.
from exam.exams.views import api, invigilate, manage, sit  # noqa: E402, F401
