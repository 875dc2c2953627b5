"""An attacker's look at the routes of issues 14-16 (results lifecycle, issued documents, the
panel's record, the appeals' settings): forged and out-of-range ids, pages before
publication, writes by someone without the seat, bad input refused in Vietnamese with nothing
lost, free text shown escaped in pages and PDFs, and every new form's CSRF token required."""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata

import pytest
import sqlalchemy as sa
import time_machine
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.appeals.queries import appeal_rules
from exam.council.models import BodyKind, MemberFunction
from exam.documents.models import DocumentKind, IssuedDocument
from exam.extensions import db
from exam.panels.attendance import record_incident
from exam.panels.models import Panel
from exam.panels.queries import current_scan
from exam.results.formula import stored_formula
from exam.results.models import Ranking, RankingDecision, Withdrawal
from exam.results.publication import publish_round
from exam.rounds.models import Round, RoundStatus
from tests.conftest import login
from tests.panels.test_record import _png, room  # noqa: F401
from tests.results.lifecycle_helpers import NOW, _documents, build  # noqa: F401

BIG = 2**31  # one beyond PostgreSQL's INTEGER, the type of every id column
SCRIPT = '<script>alert("x")</script><b>đậm</b>'


def _pdf_text(data: bytes) -> str:
    raw = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(unicodedata.normalize("NFC", raw).split())


def _published(make):
    contest = build(make, {"An": "80", "Bình": "70", "Cường": "60"})
    ranking = contest.approve(contest.rank())
    publish_round(contest.round, actor=contest.board, at=NOW)
    db.session.commit()
    return contest, ranking


def _rankings(position_id: int) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(Ranking.id)).where(Ranking.position_id == position_id)
    )


# --- a candidate's result: their own, and only once published ---------------------------------


def test_another_candidates_result_notice_is_not_found(app, make):
    contest, ranking = _published(make)
    an, binh = contest.row(ranking, "An"), contest.row(ranking, "Bình")
    owner = login(app.test_client(), an.application.candidate)
    response = owner.get(f"/results/rows/{an.id}/notice.pdf")
    assert response.status_code == 302
    document_url = response.headers["Location"]
    assert owner.get(document_url).status_code == 200
    other = login(app.test_client(), binh.application.candidate)
    assert other.get(f"/results/rows/{an.id}/notice.pdf").status_code == 404
    assert other.get(document_url).status_code == 404  # the issued notice itself
    assert app.test_client().get(document_url).status_code == 302  # a guest: sign in
    # The admission card of another candidate's dossier, and ids beyond the database's.
    assert other.get(f"/applications/{an.application_id}/admission-card.pdf").status_code == 404
    assert other.get(f"/results/rows/{BIG}/notice.pdf").status_code == 404
    assert other.get(f"/documents/{BIG}.pdf").status_code == 404


def test_nothing_of_a_result_shows_before_publication(app, make):
    contest = build(make, {"An": "80", "Bình": "70"})
    ranking = contest.approve(contest.rank())  # approved, not yet published
    db.session.commit()
    an = contest.row(ranking, "An")
    client = login(app.test_client(), an.application.candidate)
    assert client.get(f"/results/rows/{an.id}/notice.pdf").status_code == 404
    assert "Trúng tuyển" not in client.get("/results/mine").get_data(as_text=True)
    assert app.test_client().get(f"/rounds/{contest.round.id}/public-results").status_code == 404
    decision = db.session.scalar(
        sa.select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.RESULTS_DECISION)
    )
    assert client.get(f"/documents/{decision.id}.pdf").status_code == 404
    draft = make.round(status=RoundStatus.DRAFT)
    db.session.commit()
    assert app.test_client().get(f"/rounds/{draft.id}/public-results").status_code == 404
    assert app.test_client().get(f"/rounds/{BIG}/public-results").status_code == 404


def test_the_public_results_page_escapes_what_it_is_asked_for(app, make):
    contest, _ranking = _published(make)
    page = app.test_client().get(
        f"/rounds/{contest.round.id}/public-results", query_string={"sbd": SCRIPT}
    )
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "<script>alert" not in text
    assert "<b>đậm" not in text


# --- approval, correction, withdrawal: the round's Council only, with reasons ---------------


def test_approval_by_someone_not_on_the_council_is_refused(app, make):
    contest = build(make, {"An": "80", "Bình": "70"})
    contest.rank()
    supervisor = make.user(Role.SUPERVISOR, seated=False)
    make.seat(supervisor, contest.round, BodyKind.SUPERVISORY)
    elsewhere = make.user(Role.BOARD_ADMIN, seated=False)
    make.seat(elsewhere, make.round(), BodyKind.COUNCIL)
    panel_member = db.session.scalars(sa.select(Panel)).first().members[0].user
    db.session.commit()
    url = f"/positions/{contest.position.id}/results/approve"
    data = {"decision_number": "07/QĐ-HĐTT", "decided_on": "05/05/2026"}
    expected = {supervisor: 403, panel_member: 403, elsewhere: 404}
    for user, status in expected.items():
        assert login(app.test_client(), user).post(url, data=data).status_code == status
    assert app.test_client().post(url, data=data).status_code == 302  # sign in first
    assert db.session.scalar(sa.select(sa.func.count(RankingDecision.id))) == 0


@pytest.mark.parametrize("reason", ["", "   \n\t "])
def test_a_correction_without_a_reason_changes_nothing(app, make, reason):
    contest, _ranking = _published(make)
    client = login(app.test_client(), contest.board)
    response = client.post(
        f"/positions/{contest.position.id}/results/correct",
        data={"correct-reason": reason},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert _rankings(contest.position.id) == 1
    assert "Vui lòng điền mục này." in response.get_data(as_text=True)


def test_a_withdrawal_without_a_reason_or_from_another_round_changes_nothing(app, make):
    contest, ranking = _published(make)
    an = contest.row(ranking, "An")
    elsewhere = make.user(Role.BOARD_ADMIN, seated=False)
    make.seat(elsewhere, make.round(), BodyKind.COUNCIL)
    db.session.commit()
    url = f"/results/rows/{an.id}/withdraw"
    other = login(app.test_client(), elsewhere)
    assert other.post(url, data={"withdraw-reason": "Đơn từ chối"}).status_code == 404
    board = login(app.test_client(), contest.board)
    page = board.post(url, data={"withdraw-reason": "  "}, follow_redirects=True)
    assert "Vui lòng điền mục này." in page.get_data(as_text=True)
    assert board.post(f"/results/rows/{BIG}/withdraw").status_code == 404
    assert db.session.scalar(sa.select(sa.func.count(Withdrawal.id))) == 0


def test_a_reason_with_markup_is_shown_escaped(app, make):
    contest, _ranking = _published(make)
    board = login(app.test_client(), contest.board)
    board.post(f"/positions/{contest.position.id}/results/correct", data={"correct-reason": SCRIPT})
    assert _rankings(contest.position.id) == 2
    text = board.get(f"/positions/{contest.position.id}/results/versions").get_data(as_text=True)
    assert "&lt;script&gt;" in text
    assert "<script>alert" not in text


# --- the public verification page: any upload, a clear answer, never a crash ---------------


@pytest.fixture
def issued(make) -> IssuedDocument:
    _published(make)
    return db.session.scalar(
        sa.select(IssuedDocument).where(IssuedDocument.kind == DocumentKind.RESULTS_DECISION)
    )


@pytest.mark.parametrize(
    ("upload", "said"),
    [
        ((b"GIF89a not a pdf", "anh.gif"), "KHÔNG trùng khớp"),
        ((b"", "rong.pdf"), "KHÔNG trùng khớp"),  # an empty file is not the document
        (None, "Chọn tệp"),
    ],
)
def test_the_verification_page_answers_any_upload_in_words(app, issued, upload, said):
    data = {} if upload is None else {"file": (io.BytesIO(upload[0]), upload[1])}
    response = app.test_client().post(
        f"/xac-minh/{issued.code}", data=data, content_type="multipart/form-data"
    )
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert said in text
    assert "trùng khớp từng byte" not in text


def test_the_verification_page_refuses_a_huge_upload_unread(app, issued, monkeypatch):
    monkeypatch.setitem(app.config, "VERIFY_UPLOAD_MAX_BYTES", 1024)
    response = app.test_client().post(
        f"/xac-minh/{issued.code}",
        data={"file": (io.BytesIO(b"%PDF-" + b"0" * 4096), "to.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "Tệp gửi lên quá lớn." in response.get_data(as_text=True)


def test_a_typed_code_with_markup_is_shown_escaped(app, issued):
    response = app.test_client().get("/xac-minh", query_string={"code": "<b>x</b>"})
    text = response.get_data(as_text=True)
    assert "<b>x</b>" not in text
    assert "&lt;b&gt;x&lt;/b&gt;" in text


# --- the panel's record: its own panel only, free text escaped ------------------------------


def _panel_in_interviews(make) -> Panel:
    round_ = make.round()
    position = round_.positions[0]
    make.application(position)
    panel = make.panel(position, members=3)
    make.stage(round_, RoundStatus.INTERVIEWS)
    db.session.commit()
    return panel


def test_an_incident_with_markup_is_escaped_on_the_page_and_printed_as_text(app, make):
    panel = _panel_in_interviews(make)
    head = panel.members[0].user
    at = dt.datetime.now(dt.UTC)
    record_incident(panel, occurred_at=at, description=SCRIPT, actor=head, at=at)
    db.session.commit()
    client = login(app.test_client(), head)
    page = client.get(f"/panels/{panel.id}/record").get_data(as_text=True)
    assert "&lt;script&gt;" in page
    assert "<script>alert" not in page
    minutes = client.get(f"/panels/{panel.id}/minutes.pdf")
    assert minutes.status_code == 200
    assert '<script>alert("x")</script><b>đậm</b>' in _pdf_text(minutes.data)


def test_a_member_of_another_panel_of_the_round_sees_nothing_of_this_one(app, make):
    round_ = make.round(positions=2)
    panel = make.panel(round_.positions[0], members=3)
    other = make.panel(round_.positions[1], members=2)
    make.stage(round_, RoundStatus.INTERVIEWS)
    db.session.commit()
    stranger = login(app.test_client(), other.members[0].user)
    for url in (
        f"/panels/{panel.id}/record",
        f"/panels/{panel.id}/minutes.pdf",
        f"/panels/{panel.id}/statistics",
        f"/panels/{panel.id}/sheets/1/form.pdf",
    ):
        assert stranger.get(url).status_code == 404, url
    member = panel.members[1].id
    response = stranger.post(f"/panels/{panel.id}/record/members/{member}/absent")
    assert response.status_code == 404
    # Their own panel's record with this panel's member: not theirs to record.
    own = login(app.test_client(), other.members[0].user)
    response = own.post(f"/panels/{other.id}/record/members/{member}/absent")
    assert response.status_code == 404


def test_the_guide_page_of_a_position_id_beyond_the_database_is_not_found(app, make):
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    for value in (BIG, 2**63, -1):
        response = client.get(f"/rounds/{round_.id}/panels/guide", query_string={"position": value})
        assert response.status_code == 404, value
    foreign = make.round().positions[0]
    db.session.commit()
    response = client.get(
        f"/rounds/{round_.id}/panels/guide", query_string={"position": foreign.id}
    )
    assert response.status_code == 404


# --- the appeals' settings -------------------------------------------------------------------


@pytest.mark.parametrize(
    "values",
    [
        {"working_days": str(BIG)},
        {"working_days": "năm"},
        {"remark_agree_limit": "1e400"},
        {"replace_limit": "NaN"},
        {"remark_days": "-3"},
    ],
)
def test_bad_appeal_settings_are_refused_in_words_and_change_nothing(app, make, values):
    round_ = make.round()
    board = make.user(Role.BOARD_ADMIN, seated=False)
    make.seat(board, round_, BodyKind.COUNCIL, MemberFunction.CHAIR)
    db.session.commit()
    before = appeal_rules(round_)
    kept = (before.appeal_working_days, before.remark_agree_limit, before.remark_days)
    data = {"working_days": "5", "remark_agree_limit": "5", "replace_limit": "5"}
    data |= {"remark_days": "10", **values}
    client = login(app.test_client(), board)
    response = client.post(f"/rounds/{round_.id}/appeals/rules", data=data, follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Đã lưu quy định phúc khảo." not in text
    assert any(w in text for w in ("Nhập một số", "Thời hạn", "Chênh lệch")), text
    db.session.expire_all()
    after = appeal_rules(db.session.get(Round, round_.id))
    assert (after.appeal_working_days, after.remark_agree_limit, after.remark_days) == kept


def test_appeal_settings_are_the_councils_of_their_round(app, make):
    round_ = make.round()
    supervisor = make.user(Role.SUPERVISOR, seated=False)
    make.seat(supervisor, round_, BodyKind.SUPERVISORY)
    member = make.user(Role.BOARD_ADMIN, seated=False)
    make.seat(member, round_, BodyKind.COUNCIL)  # a member, neither Chair nor secretary
    elsewhere = make.user(Role.BOARD_ADMIN, seated=False)
    make.seat(elsewhere, make.round(), BodyKind.COUNCIL, MemberFunction.CHAIR)
    db.session.commit()
    url = f"/rounds/{round_.id}/appeals/rules"
    assert login(app.test_client(), member).post(url, data={}).status_code == 403
    data = {"working_days": "7", "remark_agree_limit": "5", "replace_limit": "5"}
    data["remark_days"] = "10"
    assert login(app.test_client(), supervisor).post(url, data=data).status_code == 403
    assert login(app.test_client(), elsewhere).post(url, data=data).status_code == 404
    db.session.expire_all()
    assert appeal_rules(db.session.get(Round, round_.id)).appeal_working_days == 5


# --- CSRF: every new form refuses a post without its token ----------------------------------

NEW_POSTS = [
    "/positions/{position}/results/approve",
    "/positions/{position}/results/correct",
    "/positions/{position}/results/ties",
    "/positions/{position}/results/pdf-jobs",
    "/results/rows/{row}/withdraw",
    "/rounds/{round}/results/public",
    "/rounds/{round}/formula",
    "/rounds/{round}/appeals/rules",
    "/rounds/{round}/panels/guide/positions/{position}/drop",
    "/panels/{panel}/record",
    "/panels/{panel}/record/members/{member}/present",
    "/xac-minh/{code}",
]


def test_every_new_form_needs_its_csrf_token(app, make, monkeypatch):
    contest, ranking = _published(make)
    panel = db.session.scalars(sa.select(Panel)).first()
    code = db.session.scalar(sa.select(IssuedDocument.code))
    ids = {
        "position": contest.position.id,
        "row": ranking.rows[0].id,
        "round": contest.round.id,
        "panel": panel.id,
        "member": panel.members[0].id,
        "code": code,
    }
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    council = login(app.test_client(), contest.board)
    with time_machine.travel(NOW, tick=False):
        for template in NEW_POSTS:
            url = template.format(**ids)
            response = council.post(url, data={"reason": "x", "scope": "all"})
            assert response.status_code == 400, url
    db.session.expire_all()
    assert _rankings(contest.position.id) == 1


def _csrf_token(page: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)


def test_the_verification_limit_holds_with_csrf_on(app, issued, monkeypatch):
    """CSRF's check reads the form before the view: the page's own limit must be set first,
    else a body up to the site's limit is read whatever VERIFY_UPLOAD_MAX_BYTES says."""
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "VERIFY_UPLOAD_MAX_BYTES", 1024)
    client = app.test_client()
    token = _csrf_token(client.get(f"/xac-minh/{issued.code}").get_data(as_text=True))
    response = client.post(
        f"/xac-minh/{issued.code}",
        data={"csrf_token": token, "file": (io.BytesIO(b"%PDF-" + b"0" * 4096), "to.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    small = client.post(
        f"/xac-minh/{issued.code}",
        data={"csrf_token": token, "file": (io.BytesIO(b"%PDF-1.7 khac"), "to.pdf")},
        content_type="multipart/form-data",
    )
    assert "KHÔNG trùng khớp" in small.get_data(as_text=True)


def test_a_signed_scan_takes_its_own_limit_with_csrf_on(app, room, monkeypatch):  # noqa: F811
    """A scan within SHEET_SCAN_MAX_BYTES is taken even above the site's limit, and one above
    it is refused unread: the scan's limit is set before CSRF's check reads the body."""
    sheet = room.seal(1, 0, 83)
    db.session.commit()
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", True)
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 2048)
    monkeypatch.setitem(app.config, "SHEET_SCAN_MAX_BYTES", 64 * 1024)
    client = login(app.test_client(), room.user(1))
    url = f"/panels/{room.panel_id}/sheets/{sheet.id}/paper"
    token = _csrf_token(client.get(url).get_data(as_text=True))
    scan = _png() + b"\x00" * 8192
    response = client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(scan), "a.png")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302, response.status_code
    assert current_scan(sheet) is not None
    huge = client.post(
        url,
        data={"csrf_token": token, "file": (io.BytesIO(b"\x00" * 1_200_000), "b.png")},
        content_type="multipart/form-data",
    )
    assert huge.status_code == 413


# --- the results formula: numbers beyond the database's integers -------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"preset": "civil_service", "reserve_count": str(BIG)},
        {"preset": "civil_service", "reserve_count": str(2**70)},
        {
            "preset": "custom",
            "winner_min_score": "50",
            "reserve_count": "0",
            "parts-0-kind": "written_test",
            "parts-0-name": "",
            "parts-0-gate": "50",
            "parts-0-weight": "100",
            "parts-0-tie_break": str(BIG),
        },
    ],
)
def test_a_formula_number_beyond_the_database_is_refused_in_words(app, make, data):
    board = make.user(Role.BOARD_ADMIN)
    round_ = make.round(status=RoundStatus.DRAFT, board=board)
    db.session.commit()
    client = login(app.test_client(), board)
    response = client.post(f"/rounds/{round_.id}/formula", data=data, follow_redirects=True)
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "Đã lưu công thức" not in text
    assert "Số người bảo lưu không quá 1000." in text or "bằng điểm không quá 100." in text
    db.session.expire_all()
    assert stored_formula(db.session.get(Round, round_.id)) is None


def test_a_published_ranking_is_not_computed_again_without_a_reason(app, make):
    """The plain 'compute' button after publication: refused in words, nothing new made;
    only the correction with its reason (above) makes a version."""
    contest, ranking = _published(make)
    board = login(app.test_client(), contest.board)
    page = board.post(
        f"/positions/{contest.position.id}/results/compute", follow_redirects=True
    ).get_data(as_text=True)
    assert "không tính lại được" in page
    assert _rankings(contest.position.id) == 1
    db.session.expire_all()
    assert db.session.get(Ranking, ranking.id).status.value == "published"


def test_a_decision_number_at_the_forms_limit_is_approved_or_refused_never_a_failure(app, make):
    """50 characters typed as "5/…": written "05/…" (51) it would not fit the column."""
    contest = build(make, {"An": "80", "Bình": "70"})
    contest.rank()
    db.session.commit()
    number = "5/" + "Q" * 48
    client = login(app.test_client(), contest.board)
    response = client.post(
        f"/positions/{contest.position.id}/results/approve",
        data={"decision_number": number, "decided_on": "05/05/2026"},
        follow_redirects=True,
    )
    assert response.status_code == 200
    db.session.expire_all()
    decisions = db.session.scalars(sa.select(RankingDecision.decision_number)).all()
    assert decisions == []
    assert "Tối đa 50 ký tự." in response.get_data(as_text=True)


def test_a_result_notice_with_the_longest_names_is_issued(app, make):
    """A position's title and unit (200 characters each) and a candidate's name (120) make a
    notice's title longer than its column: it is shortened, never a failure."""
    contest = build(make, {"An": "80", "Bình": "70"})
    contest.position.title = "Trưởng phòng " + "T" * 187
    contest.position.unit_name = "Bệnh viện " + "U" * 190
    ranking = contest.approve(contest.rank())
    publish_round(contest.round, actor=contest.board, at=NOW)
    an = contest.row(ranking, "An")
    an.application.candidate.full_name = "Nguyễn " + "A" * 113
    db.session.commit()
    client = login(app.test_client(), an.application.candidate)
    response = client.get(f"/results/rows/{an.id}/notice.pdf")
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
    notice = db.session.scalars(  # An's: the longest title (Bình's would fit uncut)
        sa.select(IssuedDocument).where(
            IssuedDocument.kind == DocumentKind.RESULT_NOTICE,
            IssuedDocument.subject_user_id == an.application.candidate_id,
        )
    ).one()
    assert len(notice.title) <= 500
    assert notice.title.startswith("Thông báo kết quả thi tuyển vị trí Trưởng phòng")


def test_the_public_announcement_is_rate_limited():
    # Public and rendered on each request: an address cannot make the server render it
    # without end.
    from tests.accounts.test_accounts import rate_limited_app

    with rate_limited_app(PUBLIC_PDF_RATE_LIMIT="2 per minute") as limited:
        client = limited.test_client()
        statuses = [client.get("/rounds/999999/announcement.pdf").status_code for _ in range(3)]
    assert statuses == [404, 404, 429]
