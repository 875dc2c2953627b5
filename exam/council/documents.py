"""The Council's official documents as plain values (NĐ 30/2020): the decision setting up a
body with the list of its members, and the minutes (biên bản) of a meeting. Rendered by
``templates/pdf/body_decision.html`` and ``templates/pdf/council_minutes.html``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from flask_babel import force_locale

from exam.core.documents import COUNCIL, DocumentFrame, Signature, Verification, nd30_date
from exam.council.models import Body, BodyKind, Meeting, MemberFunction, function_title
from exam.council.queries import Outcome, council_of, decide, has_quorum

# What each body does, as its decision states it (TT 22/2025; NĐ 170/2025; Quy chế).
DUTIES = {
    BodyKind.COUNCIL: (
        "Hội đồng thi tuyển làm việc theo nguyên tắc tập thể, quyết định theo đa số; trường "
        "hợp biểu quyết ngang nhau thì thực hiện theo ý kiến mà Chủ tịch Hội đồng đã biểu "
        "quyết. Hội đồng thành lập các ban giúp việc, tổ chức thi tuyển, tổng hợp và báo cáo "
        "kết quả theo Kế hoạch và Quy chế thi tuyển, tự giải thể sau khi hoàn thành nhiệm vụ."
    ),
    BodyKind.SUPERVISORY: (
        "Ban giám sát giám sát việc thực hiện các quy định về thi tuyển, việc tổ chức thi, "
        "chấm thi và phúc khảo theo Quy chế thi tuyển; thành viên Ban giám sát không tham gia "
        "Hội đồng thi tuyển và các ban giúp việc."
    ),
    BodyKind.ELIGIBILITY: (
        "Ban kiểm tra phiếu đăng ký, hồ sơ dự tuyển, đối chiếu với tiêu chuẩn, điều kiện của "
        "từng vị trí và báo cáo Hội đồng thi tuyển."
    ),
    BodyKind.QUESTIONS: (
        "Ban đề thi xây dựng, quản lý đề thi và đáp án, bảo đảm bí mật theo quy định."
    ),
    BodyKind.INVIGILATION: "Ban coi thi tổ chức coi thi theo Nội quy và Quy chế thi tuyển.",
    BodyKind.ANONYMISATION: (
        "Ban phách đánh số phách, rọc phách, quản lý và giữ bí mật số phách; thành viên Ban "
        "phách không tham gia chấm thi, chấm phúc khảo."
    ),
    BodyKind.MARKING: (
        "Ban chấm thi chấm bài thi theo đáp án, thang điểm; mỗi bài thi có ít nhất hai thành "
        "viên chấm độc lập."
    ),
    BodyKind.REMARKING: "Ban chấm phúc khảo chấm phúc khảo các bài thi có đơn phúc khảo.",
    BodyKind.INTERVIEW: (
        "Ban phỏng vấn, chấm đề án nghe thí sinh trình bày đề án, phỏng vấn và chấm điểm; mỗi "
        "thành viên chấm độc lập trên phiếu chấm của mình."
    ),
}


@dataclass(frozen=True)
class MemberLine:
    full_name: str
    post: str
    function: str


@dataclass(frozen=True)
class BodyDecision:
    """Quyết định thành lập (NĐ 30/2020, Phụ lục III, Mẫu 1.3) with its list of members."""

    document: DocumentFrame
    authority: str  # who decides, in capitals: "GIÁM ĐỐC SỞ NỘI VỤ"
    body_title: str
    round_name: str
    organisation: str
    decision_number: str
    decision_on: dt.date
    council_decision: str  # for a board, the decision that set up the Council
    duties: str
    members: tuple[MemberLine, ...]
    # A later decision changing the members replaces the earlier: "số 12/QĐ-HĐTT ngày …".
    replaces: str = ""


@dataclass(frozen=True)
class DecisionTerms:
    """The decision being printed: the body's setup decision unless a later one (a change of
    members) is given."""

    number: str
    decided_on: dt.date
    signer_name: str
    signer_title: str
    replaces: str = ""


def setup_terms(body: Body) -> DecisionTerms:
    return DecisionTerms(
        body.decision_number, body.decision_on, body.signer_name, body.signer_title
    )


def _frame(number: str) -> tuple[int | None, str]:
    parts = re.fullmatch(r"(\d+)/(.+)", number)
    return (int(parts[1]), parts[2]) if parts else (None, number)


def decision_issuer(body: Body) -> str:
    """Who issues a body's decision: the Council sets up its boards; the organising agency
    the Council and the supervisory board."""
    return COUNCIL if body.kind.is_board else body.round.organisation


def decision_document(
    body: Body,
    terms: DecisionTerms | None = None,
    *,
    verification: Verification | None = None,
) -> dict:
    """The data of ``templates/pdf/body_decision.html`` for ``body``'s decision (its setup
    decision unless ``terms`` name a later one), in Vietnamese whatever the reader's language
    (an official document); ``verification`` once issued (exam/council/issuing.py)."""
    with force_locale("vi"):
        return _decision_document(body, terms or setup_terms(body), verification)


def _decision_document(body: Body, terms: DecisionTerms, verification: Verification | None) -> dict:
    round_ = body.round
    number, symbol = _frame(terms.number)
    council_line = ""
    if body.kind.is_board and (council := council_of(round_.id)) is not None:
        council_line = (
            f"Căn cứ Quyết định số {council.decision_number} "
            f"{nd30_date(council.decision_on)} của {council.signer_title} về việc "
            f"thành lập Hội đồng thi tuyển"
        )
    decision = BodyDecision(
        document=DocumentFrame(
            parent_body=round_.parent_body,
            issuer=decision_issuer(body),
            issued_at=terms.decided_on,
            symbol=symbol,
            number=number,
            signature=Signature(function=terms.signer_title.upper(), signer=terms.signer_name),
            recipients=("Như Điều 3", "Ban giám sát", "Lưu: VT, HĐTT"),
            verification=verification,
        ),
        authority=terms.signer_title.upper(),
        body_title=body.title,
        round_name=round_.name,
        organisation=round_.organisation,
        decision_number=terms.number,
        decision_on=terms.decided_on,
        council_decision=council_line,
        duties=DUTIES[body.kind],
        members=tuple(
            MemberLine(m.user.full_name, m.post, m.function_title) for m in body.sorted_members()
        ),
        replaces=terms.replaces,
    )
    return {"decision": decision}


@dataclass(frozen=True)
class VoteLine:
    full_name: str
    choice: str


@dataclass(frozen=True)
class ItemLine:
    number: int
    title: str
    motion: str
    votes: tuple[VoteLine, ...]
    outcome: Outcome
    verdict: str


@dataclass(frozen=True)
class Minutes:
    """Biên bản họp Hội đồng thi tuyển (NĐ 30/2020, Phụ lục III, Mẫu 1.9)."""

    document: DocumentFrame
    round_name: str
    held_at: dt.datetime
    place: str
    presiding: str
    presiding_function: str
    secretary: str
    council_size: int
    quorum: bool
    attendees: tuple[MemberLine, ...]
    absent: tuple[MemberLine, ...]
    items: tuple[ItemLine, ...]


def minutes_document(
    meeting: Meeting, *, number: str | None = None, verification: Verification | None = None
) -> dict:
    """The data of ``templates/pdf/council_minutes.html`` for ``meeting``, in Vietnamese;
    its ``number`` in the Council's register and ``verification`` once issued (as the meeting
    is closed, exam/council/issuing.py), a blank number before."""
    with force_locale("vi"):
        return _minutes_document(meeting, number, verification)


def _minutes_document(
    meeting: Meeting, number: str | None, verification: Verification | None
) -> dict:
    sequence, symbol = _frame(number) if number else (None, "BB-HĐTT")
    council = meeting.body
    kind = council.kind
    present = {a.user_id for a in meeting.attendees}
    presiding = next(a for a in meeting.attendees if a.user_id == meeting.presiding_id)
    secretary = next((a for a in meeting.attendees if a.function == MemberFunction.SECRETARY), None)
    items = []
    for item in meeting.items:
        outcome = decide(item)
        items.append(
            ItemLine(
                number=item.number,
                title=item.title,
                motion=item.motion,
                votes=tuple(
                    VoteLine(v.user.full_name, v.choice.title)
                    for v in item.votes
                    if v.user_id in present
                ),
                outcome=outcome,
                verdict=outcome.verdict.title,
            )
        )
    minutes = Minutes(
        document=DocumentFrame(
            parent_body=council.round.parent_body,
            issued_at=meeting.held_at,
            symbol=symbol,
            number=sequence,
            verification=verification,
            signature=Signature(function="CHỦ TRÌ", signer=presiding.user.full_name),
            recipients=("Thành viên Hội đồng thi tuyển", "Ban giám sát", "Lưu: HĐTT"),
        ),
        round_name=council.round.name,
        held_at=meeting.held_at,
        place=meeting.place,
        presiding=presiding.user.full_name,
        presiding_function=function_title(kind, presiding.function),
        secretary=secretary.user.full_name if secretary else "",
        council_size=meeting.council_size,
        quorum=has_quorum(meeting),
        attendees=tuple(
            MemberLine(a.user.full_name, "", function_title(kind, a.function))
            for a in meeting.attendees
        ),
        absent=tuple(
            MemberLine(m.user.full_name, m.post, m.function_title)
            for m in council.sorted_members()
            if m.user_id not in present
        ),
        items=tuple(items),
    )
    return {"minutes": minutes}
