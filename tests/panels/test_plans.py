"""The đề án: uploaded by the admitted candidate before the round's deadline, a real PDF
within the size limit, read by the panel of the position and the Council only."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from pypdf import PdfWriter

from exam.accounts.models import Role, User
from exam.audit.models import AuditEntry
from exam.candidates.models import Application
from exam.core.db import utcnow
from exam.core.storage import storage
from exam.extensions import db
from exam.panels import media
from exam.panels.models import Panel
from exam.panels.plans import InterviewSettings, Plan, set_interview_settings
from exam.rounds.models import RoundStatus
from tests.conftest import login


def pdf_bytes(pages: int = 1) -> bytes:
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@dataclass
class Planning:
    panel: Panel
    application: Application
    other: Application
    council: User


@pytest.fixture
def planning(make) -> Planning:
    round_ = make.round()
    position = round_.positions[0]
    application = make.application(position)
    other = make.application(position)
    panel = make.panel(position, members=2)
    make.stage(round_, RoundStatus.INTERVIEWS)
    council = make.user(Role.BOARD_ADMIN)
    set_interview_settings(
        round_,
        plan_deadline=utcnow() + dt.timedelta(days=1),
        presentation_minutes=45,
        questions_min_minutes=60,
        questions_max_minutes=90,
        actor=council,
    )
    db.session.commit()
    return Planning(panel, application, other, council)


def _upload(app, application: Application, data: bytes, name: str = "De an.pdf"):
    client = login(app.test_client(), application.candidate)
    return client.post(
        f"/applications/{application.id}/plan",
        data={"file": (io.BytesIO(data), name)},
        content_type="multipart/form-data",
        follow_redirects=True,
    )


def _plans(application: Application) -> list[Plan]:
    return list(
        db.session.scalars(
            sa.select(Plan).where(Plan.application_id == application.id).order_by(Plan.id)
        )
    )


def _stored_files() -> set[str]:
    return {f.key.rpartition("/")[2] for f in storage().listing(media.FOLDER)}


def _deadline(planning: Planning, at: dt.datetime) -> None:
    settings = db.session.scalars(sa.select(InterviewSettings)).one()
    settings.plan_deadline = at
    db.session.commit()


def test_a_candidate_uploads_their_plan_and_sees_what_they_sent(app, planning, stored_on):
    data = pdf_bytes(2)
    response = _upload(app, planning.application, data, "Đề án phát triển.pdf")
    page = response.get_data(as_text=True)
    [plan] = _plans(planning.application)
    assert "Đã nộp đề án." in page
    assert plan.original_name == "Đề án phát triển.pdf"
    assert plan.size == len(data)
    assert plan.sha256[:12] in page
    assert "Đề án phát triển.pdf" in page
    assert storage().read(media.key_of(plan.stored_name)) == data
    audit = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "plan.upload"))
    assert audit.one().after["sha256"] == plan.sha256


def test_a_new_upload_replaces_the_plan_and_keeps_the_old_file(app, planning, stored_on):
    _upload(app, planning.application, pdf_bytes(1))
    _upload(app, planning.application, pdf_bytes(3), "moi.pdf")
    first, second = _plans(planning.application)
    assert first.replaced_at is not None
    assert second.replaced_at is None
    assert storage().exists(media.key_of(first.stored_name))  # archived with the round's papers
    client = login(app.test_client(), planning.application.candidate)
    served = client.get(f"/applications/{planning.application.id}/plan.pdf")
    assert served.get_data() == storage().read(media.key_of(second.stored_name))
    replaced = db.session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "plan.replace"))
    assert replaced.one().before == {"plan_id": first.id, "sha256": first.sha256}


def test_a_late_upload_is_refused_in_words(app, planning):
    _deadline(planning, utcnow() - dt.timedelta(minutes=1))
    response = _upload(app, planning.application, pdf_bytes())
    assert "Đã quá hạn nộp đề án" in response.get_data(as_text=True)
    assert _plans(planning.application) == []


def test_no_deadline_set_refuses_the_upload(app, planning):
    _deadline(planning, None)
    response = _upload(app, planning.application, pdf_bytes())
    assert "Hội đồng chưa đặt hạn nộp đề án." in response.get_data(as_text=True)
    assert _plans(planning.application) == []


def test_a_renamed_text_file_is_refused(app, planning):
    before = _stored_files()
    response = _upload(app, planning.application, b"Day la van ban, khong phai PDF.", "de-an.pdf")
    assert "Đề án phải là tệp PDF" in response.get_data(as_text=True)
    assert _plans(planning.application) == []
    assert _stored_files() == before


def test_a_broken_pdf_is_refused_and_its_file_removed(app, planning, stored_on):
    before = _stored_files()
    response = _upload(app, planning.application, b"%PDF-1.7\n" + b"x" * 500)
    assert "Tệp PDF bị hỏng" in response.get_data(as_text=True)
    assert _plans(planning.application) == []
    assert _stored_files() == before


def test_a_plan_over_the_limit_is_refused_and_nothing_saved(app, planning, monkeypatch, stored_on):
    data = pdf_bytes(3)
    monkeypatch.setitem(app.config, "PLAN_MAX_BYTES", len(data) - 1)
    before = _stored_files()
    response = _upload(app, planning.application, data)
    assert "Tệp quá lớn" in response.get_data(as_text=True)
    assert _plans(planning.application) == []
    assert _stored_files() == before


def test_the_file_name_is_cleaned(app, planning):
    _upload(app, planning.application, pdf_bytes(), "../../x\u202efdp.exe")
    [plan] = _plans(planning.application)
    assert plan.original_name == "xfdp.pdf"


def test_a_candidate_not_admitted_cannot_upload(app, make, planning):
    refused = make.application(planning.panel.position, eligible=False)
    db.session.commit()
    response = _upload(app, refused, pdf_bytes())
    assert "Chỉ thí sinh đã qua các vòng trước mới nộp đề án." in response.get_data(as_text=True)
    assert _plans(refused) == []


def test_another_candidates_plan_is_404(app, planning):
    _upload(app, planning.other, pdf_bytes())
    client = login(app.test_client(), planning.application.candidate)
    assert client.get(f"/applications/{planning.other.id}/plan.pdf").status_code == 404
    assert client.get(f"/applications/{planning.other.id}/plan").status_code == 404
    upload = client.post(
        f"/applications/{planning.other.id}/plan",
        data={"file": (io.BytesIO(pdf_bytes()), "x.pdf")},
        content_type="multipart/form-data",
    )
    assert upload.status_code == 404
    assert len(_plans(planning.other)) == 1


def test_the_panel_and_the_council_read_a_plan_others_get_404(app, make, planning):
    _upload(app, planning.application, pdf_bytes())
    other_round = make.round()
    other_panel = make.panel(other_round.positions[0], members=2)
    supervisor = make.user(Role.SUPERVISOR)
    db.session.commit()
    url = f"/applications/{planning.application.id}/plan.pdf"
    member = login(app.test_client(), planning.panel.members[1].user).get(url)
    assert member.status_code == 200
    assert member.headers["Content-Disposition"].startswith("attachment;")
    assert member.headers["Content-Type"] == "application/pdf"
    assert login(app.test_client(), planning.council).get(url).status_code == 200
    for outsider in (other_panel.members[1].user, supervisor, planning.other.candidate):
        assert login(app.test_client(), outsider).get(url).status_code == 404
    listing = f"/panels/{planning.panel.id}/plans"
    assert login(app.test_client(), planning.panel.members[0].user).get(listing).status_code == 200
    assert login(app.test_client(), other_panel.members[0].user).get(listing).status_code == 404


def test_the_council_sets_the_deadline_in_hanoi_time(app, planning):
    round_id = planning.panel.position.round_id
    client = login(app.test_client(), planning.council)
    response = client.post(
        f"/rounds/{round_id}/interview-settings",
        data={
            "plan_deadline": "05/01/2027 17:00",
            "presentation_minutes": "40",
            "questions_min_minutes": "60",
            "questions_max_minutes": "90",
        },
        follow_redirects=True,
    )
    assert "Đã lưu thiết lập đề án và phỏng vấn." in response.get_data(as_text=True)
    settings = db.session.scalars(sa.select(InterviewSettings)).one()
    db.session.refresh(settings)
    assert settings.plan_deadline == dt.datetime(2027, 1, 5, 10, 0, tzinfo=dt.UTC)
    assert settings.presentation_minutes == 40
    assert "05/01/2027 17:00" in client.get(f"/rounds/{round_id}/interview-settings").get_data(
        as_text=True
    )


def test_a_presentation_over_45_minutes_is_refused(app, planning):
    client = login(app.test_client(), planning.council)
    response = client.post(
        f"/rounds/{planning.panel.position.round_id}/interview-settings",
        data={
            "plan_deadline": "",
            "presentation_minutes": "50",
            "questions_min_minutes": "90",
            "questions_max_minutes": "60",
        },
        follow_redirects=True,
    )
    page = response.get_data(as_text=True)
    assert "Trình bày đề án tối đa 45 phút." in page
    assert "Thời gian hỏi đáp: tối thiểu không quá tối đa." in page
    settings = db.session.scalars(sa.select(InterviewSettings)).one()
    db.session.refresh(settings)
    assert settings.presentation_minutes == 45


def test_the_pages_link_the_plan_and_the_session(app, planning):
    candidate = login(app.test_client(), planning.application.candidate)
    dossier = candidate.get(f"/applications/{planning.application.id}").get_data(as_text=True)
    assert f'href="/applications/{planning.application.id}/plan"' in dossier
    member = login(app.test_client(), planning.panel.members[1].user)
    panel_page = member.get(f"/panels/{planning.panel.id}").get_data(as_text=True)
    assert f'href="/panels/{planning.panel.id}/plans"' in panel_page
    assert f'href="/panels/{planning.panel.id}/session"' in panel_page
    council = login(app.test_client(), planning.council)
    round_id = planning.panel.position.round_id
    round_page = council.get(f"/rounds/{round_id}").get_data(as_text=True)
    assert f'href="/rounds/{round_id}/interview-settings"' in round_page
