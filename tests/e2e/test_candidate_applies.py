"""A candidate applies in a real browser: the dossier form with its declaration, a bad
national ID refused, then a document uploaded (a renamed executable refused first), and the
board downloads it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import sqlalchemy as sa

from exam.accounts.models import Role
from exam.candidates.models import Application, ApplicationDocument
from exam.core.db import utcnow
from exam.core.i18n import to_local
from tests.e2e.conftest import screenshot
from tests.factories import PASSWORD, PDF_BYTES, Factories

pytestmark = pytest.mark.browser


def sign_in(page, base, email, password=PASSWORD):
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()


def fill_application(page, *, national_id: str, born: str, female: bool, deadline_year: int):
    """Fill the dossier form with a candidate who meets the default standards."""
    page.get_by_label("Số căn cước công dân (CCCD)").fill(national_id)
    page.get_by_label("Ngày sinh").fill(born)
    page.get_by_label("Nữ" if female else "Nam", exact=True).check()
    page.get_by_label("Số điện thoại").fill("0912 345 678")
    page.get_by_label("Cơ quan, đơn vị đang công tác").fill("Phòng Tổ chức – Hành chính")
    page.get_by_label("Chức vụ, vị trí việc làm hiện tại").fill("Phó Trưởng phòng")
    page.get_by_label("Giữ chức vụ hiện tại hoặc tương đương từ ngày").fill("01/01/2021")
    page.get_by_label("Ngạch công chức, hạng viên chức").select_option("grade_3")
    page.get_by_label("Trình độ chuyên môn cao nhất").select_option("master")
    page.get_by_label("Chuyên ngành đào tạo").fill("Quản lý bệnh viện")
    page.get_by_label("Trình độ lý luận chính trị").select_option("intermediate")
    page.get_by_label("Trình độ quản lý nhà nước").select_option("specialist")
    page.get_by_label("Có", exact=True).check()
    for year in (deadline_year - 1, deadline_year - 2, deadline_year - 3):
        page.get_by_label(f"Đánh giá, xếp loại năm {year}").select_option("good")
    page.get_by_label("Kỷ luật", exact=True).select_option("none")
    recent = to_local(utcnow() - dt.timedelta(days=10)).strftime("%d/%m/%Y")
    page.get_by_label("Ngày cấp giấy chứng nhận sức khỏe").fill(recent)
    page.get_by_label("Tôi xin cam đoan", exact=False).check()


def test_a_candidate_applies_and_uploads_a_document(page, live_server, live_db, tmp_path):
    base, now = live_server, utcnow()
    board = Factories.user(Role.BOARD_ADMIN, name="Trần Quốc Hưng")
    candidate = Factories.user(Role.CANDIDATE, name="Phạm Thị Thu Trang")
    round_ = Factories.round(
        opens_at=now - dt.timedelta(days=1), closes_at=now + dt.timedelta(days=29), board=board
    )
    live_db.commit()
    deadline_year = to_local(round_.registration_closes_at).year

    sign_in(page, base, candidate.email)
    page.goto(f"{base}/rounds/{round_.id}")
    page.get_by_role("link", name="Nộp hồ sơ").click()
    fill_application(
        page,
        national_id="00118401234",
        born="14/03/1984",
        female=True,
        deadline_year=deadline_year,
    )
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.get_by_text("Số CCCD gồm đúng 12 chữ số.").first.wait_for()
    screenshot(page, "apply-dossier-errors")
    assert page.get_by_label("Chuyên ngành đào tạo").input_value() == "Quản lý bệnh viện"
    page.get_by_label("Số căn cước công dân (CCCD)").fill("001184012345")
    page.get_by_label("Tôi xin cam đoan", exact=False).check()
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.get_by_text("Đã nộp hồ sơ dự tuyển.").wait_for()
    approval_row = page.locator("table.precheck tr", has_text="Văn bản đồng ý của cơ quan quản lý")
    assert "CẦN BỔ SUNG" in approval_row.inner_text().upper()

    # A renamed executable is refused, whatever its name says.
    fake = tmp_path / "van-ban-dong-y.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 512)
    page.get_by_label("Loại tài liệu").select_option("approval")
    page.get_by_label("Tệp (PDF, JPEG hoặc PNG)").set_input_files(str(fake))
    page.get_by_role("button", name="Tải lên").click()
    page.get_by_text("Tệp không phải PDF, JPEG hoặc PNG").first.wait_for()

    real = tmp_path / "Văn bản đồng ý.pdf"
    real.write_bytes(PDF_BYTES)
    page.get_by_label("Loại tài liệu").select_option("approval")
    page.get_by_label("Tệp (PDF, JPEG hoặc PNG)").set_input_files(str(real))
    page.get_by_role("button", name="Tải lên").click()
    page.get_by_text("Đã tải lên tài liệu.").wait_for()
    assert "ĐẠT" in approval_row.inner_text().upper()
    assert "CẦN BỔ SUNG" not in approval_row.inner_text().upper()
    screenshot(page, "application-with-document")

    live_db.commit()  # end the read snapshot: see what the server wrote
    application = live_db.scalars(
        sa.select(Application).where(Application.candidate_id == candidate.id)
    ).one()
    assert application.declared_at is not None
    (document,) = live_db.scalars(
        sa.select(ApplicationDocument).where(ApplicationDocument.application_id == application.id)
    ).all()
    assert document.original_name == "Văn bản đồng ý.pdf"
    assert document.content_type == "application/pdf"
    assert "dong" not in document.stored_name

    # The board opens the dossier and downloads the document.
    sign_in(page, base, board.email)
    page.goto(f"{base}/applications/{application.id}")
    with page.expect_download() as download:
        page.get_by_role("link", name="Văn bản đồng ý.pdf").click()
    assert Path(download.value.path()).read_bytes() == PDF_BYTES
    screenshot(page, "application-board-view")
