"""What the paper tests ask of a round before the interviews (registered with
``exam/rounds/stages.py``; imported by the app factory): like the online papers' essays
(``exam/exams/guards.py::every_paper_over_and_marked``), every scanned script is marked and
unsealed, and a declared paper test has its scans."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l

from exam.marking.queries import paper_scripts_of, paper_tests_of
from exam.rounds.models import Round, RoundStatus
from exam.rounds.stages import stage_guard


@stage_guard(RoundStatus.INTERVIEWS)
def every_paper_script_unsealed(round_: Round, at: dt.datetime) -> list[str]:
    problems: list[str] = []
    for paper_test in paper_tests_of(round_.id):
        scripts = paper_scripts_of(paper_test)
        if not scripts:
            problems.append(str(_l("%(t)s: chưa có bài thi đã quét.", t=paper_test.title)))
            continue
        waiting = sum(1 for s in scripts if s.score is None)
        if waiting:
            problems.append(
                str(
                    _l(
                        "%(t)s: còn %(n)s bài thi viết trên giấy chưa chấm xong hoặc chưa "
                        "rọc phách.",
                        t=paper_test.title,
                        n=waiting,
                    )
                )
            )
    return problems
