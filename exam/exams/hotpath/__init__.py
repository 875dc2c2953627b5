"""The exam-day fast path (the paper page, its poll, autosave, Start's statements). The only
place in exam/ that uses exam/core/driver.py (in ``runner``); docs/architecture.md, "Exam day's
fast path".

Each statement is a member of ``Statement`` (``statements``), built by one small function
(``_defines``) and read by one adapter (``adapters``, its ``from_rows``), which turns the rows
into the same Python values whichever way they came: from the driver (psycopg gives an enum as
its string and a datetime in the connection's zone) or from SQLAlchemy (its column types: the
enum, UTC). ``run_statements`` (``runner``) runs them: on PostgreSQL on the driver, in
autocommit outside a transaction (where it refuses a second write, ``SecondWriteRefused``), on
SQLite on the session's connection. The functions the views call are in ``paper``; the
submit and the server's closing, from the points stored with each answer, in ``submit``. No ORM, no
user object. This package's names below are what the rest of exam/ imports."""

from exam.exams.hotpath.adapters import (
    OpenPaperRow,
    PaperItems,
    PaperRow,
    PaperState,
    PollRows,
    StartRow,
)
from exam.exams.hotpath.paper import (
    CONTACT_EVERY_SECONDS,
    NotYours,
    OpenPaper,
    PaperPoll,
    PaperResult,
    open_paper,
    paper_result,
    paper_state,
    poll_paper,
    save_answers,
    touch_attempt,
)
from exam.exams.hotpath.runner import (
    SecondWriteRefused,
    StatementRunner,
    compile_hot_statements,
    run_statements,
)
from exam.exams.hotpath.statements import Statement
from exam.exams.hotpath.submit import close_papers, paper_scores_from_stored, submit_paper

__all__ = [
    "CONTACT_EVERY_SECONDS",
    "NotYours",
    "OpenPaper",
    "OpenPaperRow",
    "PaperItems",
    "PaperPoll",
    "PaperResult",
    "PaperRow",
    "PaperState",
    "PollRows",
    "SecondWriteRefused",
    "StartRow",
    "Statement",
    "StatementRunner",
    "close_papers",
    "compile_hot_statements",
    "open_paper",
    "paper_result",
    "paper_scores_from_stored",
    "paper_state",
    "poll_paper",
    "run_statements",
    "save_answers",
    "submit_paper",
    "touch_attempt",
]
