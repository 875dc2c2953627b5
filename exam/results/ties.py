"""A tie at the winning line settled by the Council's recorded vote, never by the software.

After the formula's tie-break chain, candidates still equal for the last post(s) are
"pending the Council" (exam/results/ranking.py). The Council votes at a meeting (exam/council:
an item whose motion names the winner(s), adopted by the majority of the members present);
the board then records that vote against the draft ranking: the chosen rows are selected,
the others of the group are reserved (within the formula's reserve) or not selected.
"""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from exam.accounts.models import User
from exam.audit.operations import record
from exam.core.errors import ValidationFailed
from exam.core.i18n import format_date
from exam.council.models import BodyKind, Meeting, MeetingItem
from exam.council.queries import council_of, decide
from exam.extensions import db
from exam.results.formula import formula_of
from exam.results.models import Outcome, Ranking, RankingRow, RankingStatus, TieSettlement
from exam.results.queries import latest_ranking
from exam.rounds.models import RoundStatus
from exam.rounds.stages import require_stage

PENDING_NOTE = _l("Bằng điểm: Hội đồng quyết định.")


def council_items(round_id: int) -> list[MeetingItem]:
    """The items put to the round's Council, by meeting time then number."""
    council = council_of(round_id)
    if council is None:
        return []
    return list(
        db.session.scalars(
            sa.select(MeetingItem)
            .join(Meeting, Meeting.id == MeetingItem.meeting_id)
            .where(Meeting.body_id == council.id)
            .order_by(Meeting.held_at, MeetingItem.number)
        )
    )


def settlement_of(ranking: Ranking) -> TieSettlement | None:
    return db.session.scalars(
        sa.select(TieSettlement).where(TieSettlement.ranking_id == ranking.id)
    ).first()


def _refusals(ranking: Ranking, winners: list[RankingRow], item: MeetingItem) -> list[str]:
    pending = ranking.pending_rows
    if ranking.status != RankingStatus.DRAFT:
        return [str(_l("Bảng xếp hạng đã được phê duyệt: không ghi thêm quyết định được."))]
    latest = latest_ranking(ranking.position_id)
    if latest is None or latest.id != ranking.id:
        return [str(_l("Đã có bảng xếp hạng mới hơn: ghi quyết định vào bảng mới nhất."))]
    if not pending:
        return [str(_l("Bảng xếp hạng không có thí sinh bằng điểm chờ Hội đồng quyết định."))]
    problems = []
    if any(row not in pending for row in winners):
        problems.append(str(_l("Chỉ chọn trong số thí sinh bằng điểm chờ Hội đồng quyết định.")))
    if len(set(winners)) != ranking.undecided_posts:
        problems.append(
            str(
                _l(
                    "Chọn đúng %(n)d người trúng tuyển cho %(n)d chỉ tiêu còn lại.",
                    n=ranking.undecided_posts,
                )
            )
        )
    body = item.meeting.body
    if body.round_id != ranking.position.round_id or body.kind != BodyKind.COUNCIL:
        problems.append(str(_l("Mục biểu quyết không thuộc Hội đồng thi tuyển của kỳ thi này.")))
    else:
        outcome = decide(item)
        if not outcome.adopted:
            problems.append(
                str(
                    _l(
                        "Mục số %(n)d của cuộc họp ngày %(d)s chưa được Hội đồng thông qua "
                        "(%(v)s).",
                        n=item.number,
                        d=format_date(item.meeting.held_at),
                        v=outcome.verdict.title,
                    )
                )
            )
    return problems


def settle_tie(
    ranking: Ranking,
    winners: list[RankingRow],
    *,
    item: MeetingItem,
    actor: User,
    at: dt.datetime,
) -> TieSettlement:
    """Record the Council's adopted vote (``item``) choosing ``winners`` among the candidates
    tied for the last post(s) of a draft ranking (audited)."""
    round_ = ranking.position.round
    require_stage(
        round_, RoundStatus.RESULTS, action=_l("ghi quyết định của Hội đồng về thí sinh bằng điểm")
    )
    problems = _refusals(ranking, winners, item)
    if problems:
        raise ValidationFailed([(None, p) for p in problems])
    meeting_words = _l(
        "cuộc họp ngày %(d)s, mục số %(n)d", d=format_date(item.meeting.held_at), n=item.number
    )
    reserve_left = formula_of(round_).reserve_count
    losers = [row for row in ranking.pending_rows if row not in winners]
    for row in winners:
        _decided(row, Outcome.SELECTED, meeting_words)
    if losers:
        outcome = Outcome.RESERVED if reserve_left > 0 else Outcome.NOT_SELECTED
        reserve_left = max(reserve_left - len(losers), 0)
        for row in losers:
            _decided(row, outcome, meeting_words)
    _shrink_reserve(ranking, losers, reserve_left)
    ranking.undecided_posts = 0
    settlement = TieSettlement(ranking=ranking, item=item, settled_at=at, settled_by_id=actor.id)
    db.session.add(settlement)
    db.session.flush()
    record(
        "ranking.settle_tie",
        ranking,
        actor=actor,
        after={
            "rows": [
                [r.application_id, r.rank, r.panel_score, r.test_percent, r.outcome]
                for r in ranking.rows
            ],
            "undecided_posts": 0,
            "item_id": item.id,
            "winners": sorted(r.application_id for r in winners),
        },
    )
    return settlement


def _decided(row: RankingRow, outcome: Outcome, meeting: object) -> None:
    row.outcome = outcome
    said = _l("Bằng điểm: Hội đồng quyết định (%(m)s).", m=meeting)
    row.note = row.note.replace(str(PENDING_NOTE), str(said)) if row.note else str(said)
    row.explanation = " ".join(
        [
            row.explanation,
            str(
                _l(
                    "Hội đồng thi tuyển đã biểu quyết (%(m)s): %(o)s.",
                    m=meeting,
                    o=outcome.title.lower(),
                )
            ),
        ]
    ).strip()


def _shrink_reserve(ranking: Ranking, losers: list[RankingRow], reserve_left: int) -> None:
    """Rows reserved below the tie keep the reserve only while places are left (the tie's
    other candidates, ranked above them, come first)."""
    if not losers:
        return
    below = [r for r in ranking.rows if r.rank > losers[0].rank and r.outcome == Outcome.RESERVED]
    for rank in sorted({r.rank for r in below}):
        group = [r for r in below if r.rank == rank]
        if reserve_left > 0:
            reserve_left = max(reserve_left - len(group), 0)
            continue
        for row in group:
            row.outcome = Outcome.NOT_SELECTED
            row.explanation = " ".join(
                [
                    row.explanation,
                    str(
                        _l(
                            "Sau quyết định của Hội đồng, các suất bảo lưu đã dành cho người "
                            "xếp trên."
                        )
                    ),
                ]
            )
