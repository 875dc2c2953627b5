"""The whole thin path of a round, every step through the pages a person uses, the round
moving stage by stage by its page's button: the platform admin announces a round and sets up
its Council; the Council's Chair adds the position, sets up the interview board and opens
registration; a candidate registers and applies; question authors write and approve
questions; past the deadline the Council screens her, defines the test and makes the papers;
she sits it; two panel members declare no relation and score; the Council ranks and
downloads the results PDF, whose text is read back."""

from __future__ import annotations

import datetime as dt
import faulthandler
import io
import sys

import pytest
import time_machine
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from pypdf import PdfReader

from exam.accounts.models import Role
from exam.core.db import utcnow
from exam.core.i18n import to_local
from tests import factories
from tests.e2e.conftest import screenshot, wait_until
from tests.e2e.test_candidate_applies import fill_application
from tests.factories import PASSWORD, Factories

pytestmark = pytest.mark.browser


@pytest.fixture
def staff(live_db, monkeypatch):
    # Nobody sits on a body of the round until the pages seat them: no default seats
    # (tests/factories.py::seat_by_role), as in tests/council.
    monkeypatch.setitem(factories.auto_seat, "on", False)
    people = {
        "admin": Factories.user(Role.BOARD_ADMIN, name="Phạm Văn Quản"),
        "board": Factories.user(Role.BOARD_ADMIN, name="Trần Quốc Hưng"),
        "author": Factories.user(Role.QUESTION_AUTHOR, name="Nguyễn Thị Lan Anh"),
        "reviewer": Factories.user(Role.QUESTION_AUTHOR, name="Đỗ Minh Tuấn"),
        "chair": Factories.user(Role.PANEL_MEMBER, name="Vũ Thị Hồng Nhung"),
        "member": Factories.user(Role.PANEL_MEMBER, name="Hoàng Văn Thắng"),
    }
    Factories.unit_tree("Bệnh viện Đa khoa Thanh Xuân", "Phòng Tổ chức – Hành chính")
    live_db.commit()
    return people


def sign_in(page, base, email, password=PASSWORD):
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Mật khẩu").fill(password)
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_text("Đăng nhập thành công.").wait_for()


def local(moment: dt.datetime) -> str:
    return to_local(moment).strftime("%d/%m/%Y %H:%M")


def set_up_body(page, kind: str, number: str, decided: dt.datetime, name: str = "") -> None:
    """From the round's page: "Hội đồng và các ban", a body set up by a decision."""
    page.get_by_role("link", name="Hội đồng và các ban").click()
    page.get_by_role("link", name="Thành lập theo quyết định").click()
    page.get_by_label("Hội đồng, ban").select_option(label=kind)
    if name:
        page.get_by_label("Tên ban phỏng vấn").fill(name)
    page.get_by_label("Số quyết định").fill(number)
    page.get_by_label("Ngày quyết định").fill(to_local(decided).strftime("%d/%m/%Y"))
    page.get_by_label("Người ký", exact=True).fill("Nguyễn Văn Ký")
    page.get_by_label("Chức vụ người ký").fill("Giám đốc Sở Y tế")
    page.get_by_role("button", name="Thành lập").click()
    page.get_by_text("Đã thành lập theo quyết định.").wait_for()


def add_member(page, person, function: str) -> None:
    """On a body's page: seat ``person`` with ``function``."""
    page.get_by_label("Thành viên", exact=True).select_option(
        label=f"{person.full_name} ({person.email})"
    )
    page.get_by_label("Chức danh").select_option(label=function)
    page.get_by_role("button", name="Thêm", exact=True).click()
    page.get_by_text("Đã thêm thành viên.").wait_for()


def move_on(page, round_url: str, stage: str) -> None:
    """The round's page button moving the round to its next stage."""
    page.goto(round_url)
    page.get_by_role("button", name=f"Chuyển sang: {stage}").click()
    page.get_by_text("Đã chuyển giai đoạn.").wait_for()


def test_a_round_from_announcement_to_results_pdf(page, live_server, staff):
    base, now = live_server, utcnow()
    closes_at = now + dt.timedelta(days=29)
    # Each action that cannot be undone asks first (tests/e2e/test_confirmations.py): agree.
    page.on("dialog", lambda dialog: dialog.accept())

    # The platform admin announces a round (one eligible candidate per position is enough
    # to go on) and sets up its Council, chaired by the board's person.
    sign_in(page, base, staff["admin"].email)
    page.goto(f"{base}/rounds/new")
    page.get_by_label("Tên kỳ thi tuyển").fill("Thi tuyển Trưởng phòng Hành chính năm 2026")
    page.get_by_label("Cơ quan, đơn vị tổ chức").fill("Bệnh viện Đa khoa Thanh Xuân")
    page.get_by_label("Bắt đầu nhận hồ sơ").fill(local(now - dt.timedelta(days=1)))
    page.get_by_label("Hết hạn nhận hồ sơ").fill(local(closes_at))
    page.get_by_label("Số thí sinh đủ điều kiện tối thiểu mỗi vị trí").fill("1")
    page.get_by_role("button", name="Tạo kỳ thi").click()
    page.get_by_text("Đã tạo kỳ thi.").wait_for()
    round_url = page.url
    set_up_body(page, "Hội đồng thi tuyển", "15/QĐ-SYT", now)
    add_member(page, staff["board"], "Chủ tịch")

    # The Council's Chair adds the position, sets up the interview board and opens
    # registration.
    sign_in(page, base, staff["board"].email)
    page.goto(round_url)
    page.get_by_role("link", name="Thêm vị trí").click()
    page.get_by_label("Chức danh").fill("Trưởng phòng Tổ chức – Hành chính")
    page.get_by_label("Đơn vị", exact=True).select_option(
        label="Thành phố Hà Nội › Sở Y tế › Bệnh viện Đa khoa Thanh Xuân"
        " › Phòng Tổ chức – Hành chính"
    )
    page.get_by_role("button", name="Thêm vị trí").click()
    page.goto(round_url)
    set_up_body(page, "Ban phỏng vấn, chấm đề án", "3/QĐ-HĐTT", now, name="Vị trí Trưởng phòng")
    add_member(page, staff["chair"], "Trưởng ban")
    add_member(page, staff["member"], "Thành viên")
    move_on(page, round_url, "Đang nhận hồ sơ")

    # A candidate registers and applies.
    page.context.clear_cookies()
    page.goto(f"{base}/register")
    page.get_by_label("Họ và tên").fill("Nguyễn Thị Hồng Nhung")
    page.get_by_label("Email").fill("nhung.nguyen@ungvien.example")
    page.get_by_label("Mật khẩu", exact=True).fill("mat-khau-cua-nhung")
    page.get_by_label("Nhập lại mật khẩu").fill("mat-khau-cua-nhung")
    page.get_by_role("button", name="Đăng ký").click()
    page.get_by_text("Đã nhận đăng ký.").wait_for()  # the same whether the address is new
    sign_in(page, base, "nhung.nguyen@ungvien.example", "mat-khau-cua-nhung")
    page.goto(round_url)
    page.get_by_role("link", name="Nộp hồ sơ").click()
    page.get_by_label("Ngày sinh").fill("30/02/1984")
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.get_by_text("Nhập ngày sinh hợp lệ.").first.wait_for()
    screenshot(page, "apply-errors")
    fill_application(
        page,
        national_id="001184012345",
        born="14/03/1984",
        female=True,
        deadline_year=to_local(closes_at).year,
    )
    page.get_by_role("button", name="Nộp hồ sơ").click()
    page.get_by_text("Đã nộp hồ sơ dự tuyển.").wait_for()

    # The question board writes three questions; another author approves them.
    sign_in(page, base, staff["author"].email)
    page.goto(f"{base}/bank/new")
    page.get_by_label("Tên ngân hàng").fill("Kiến thức chung 2026")
    page.get_by_role("button", name="Tạo").click()
    bank_url = page.url
    for n in range(1, 4):
        page.goto(bank_url)
        page.get_by_role("link", name="Thêm câu hỏi").click()
        page.get_by_label("Nội dung câu hỏi").fill(f"Câu hỏi số {n} về Luật Viên chức?")
        for letter in "ABCD":
            page.get_by_label(f"Phương án {letter}").fill(f"Phương án {letter} – câu {n}")
        page.get_by_label("B", exact=True).check()
        page.get_by_label("Căn cứ pháp lý").fill("Luật Viên chức số 58/2010/QH12")
        page.get_by_role("button", name="Lưu câu hỏi").click()
        page.get_by_role("button", name="Gửi duyệt").click()
        page.get_by_text("Đã gửi duyệt.").wait_for()
    sign_in(page, base, staff["reviewer"].email)
    for n in range(1, 4):
        page.goto(bank_url)
        page.get_by_role("link", name=f"Q{n:05d}").click()
        page.get_by_role("button", name="Duyệt câu hỏi").click()
        page.get_by_text("Đã duyệt câu hỏi.").wait_for()

    # The registration deadline has passed (the server's clock moves on with the test's):
    # the Council closes registration, screens, and the test starts ten minutes later.
    after_deadline = closes_at + dt.timedelta(hours=1)
    starts_at = (after_deadline + dt.timedelta(minutes=10)).replace(second=0, microsecond=0)
    with time_machine.travel(after_deadline, tick=True):
        sign_in(page, base, staff["board"].email)
        move_on(page, round_url, "Đã hết hạn nhận hồ sơ")
        move_on(page, round_url, "Đang xét điều kiện")

        # The council finds her eligible: she gets registration number 001.
        page.get_by_role("link", name="Hồ sơ dự tuyển").click()
        page.get_by_role("link", name="Nguyễn Thị Hồng Nhung").click()
        page.get_by_role("button", name="Đủ điều kiện", exact=True).click()
        page.get_by_text("Đã ghi nhận kết luận.").wait_for()
        assert "001" in page.locator("table", has_text="Nguyễn Thị Hồng Nhung").inner_text()

        # The council defines a one-question test, moves on to the testing stage and
        # makes the papers.
        page.goto(round_url)
        page.get_by_role("link", name="Tạo bài thi trắc nghiệm").click()
        page.get_by_label("Tên bài thi").fill("Trắc nghiệm kiến thức chung")
        page.get_by_label("Số câu hỏi").fill("1")
        page.get_by_label("Thời gian làm bài (phút)").fill("30")
        page.get_by_label("Giờ bắt đầu (chung cho mọi thí sinh)").fill(local(starts_at))
        page.get_by_role("button", name="Tạo bài thi").click()
        page.get_by_role("button", name="Tạo đề cho thí sinh đủ điều kiện").wait_for()
        test_url = page.url
        move_on(page, round_url, "Thi trắc nghiệm")
        page.goto(test_url)
        page.get_by_role("button", name="Tạo đề cho thí sinh đủ điều kiện").click()
        page.get_by_text("Đã tạo đề cho thí sinh.").wait_for()
        session_code = page.locator(".session-code").inner_text()

        # The council sets up the interview panel from the interview board's members.
        page.goto(round_url)
        page.get_by_role("link", name="Thành lập ban phỏng vấn").click()
        page.get_by_label("Tên ban").fill("Ban phỏng vấn vị trí Trưởng phòng")
        page.get_by_label("Trưởng ban").select_option(label="Vũ Thị Hồng Nhung")
        group = page.get_by_role("group", name="Các thành viên khác")
        group.get_by_label("Hoàng Văn Thắng").check()
        page.get_by_role("button", name="Thành lập").click()
        page.get_by_text("Đã thành lập ban phỏng vấn.").wait_for()
        panel_url = page.url

    # The test has started: the candidate sits it (the page keeps in step with the
    # server's time).
    with time_machine.travel(starts_at + dt.timedelta(minutes=1), tick=True):
        sign_in(page, base, "nhung.nguyen@ungvien.example", "mat-khau-cua-nhung")
        page.get_by_role("link", name="Trắc nghiệm kiến thức chung").click()
        page.get_by_label("Mã ca thi").fill(session_code)
        page.get_by_role("button", name="Bắt đầu làm bài").click()
        page.get_by_label("Phương án B", exact=False).first.check()
        wait_until(page, "document.getElementById('answered-count').textContent === '1'")
        page.locator("#connection[data-state='online']").wait_for()
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name="Nộp bài").click()
        assert page.locator("#score").inner_text() == "1,00 / 1,00"

        # Every paper is in: the interviews. Two panel members declare no relation to her
        # and score her; a score above 100 is refused first.
        sign_in(page, base, staff["board"].email)
        move_on(page, round_url, "Trình bày đề án, phỏng vấn")
        for member, score in (("chair", "101"), ("chair", "85,5"), ("member", "80")):
            sign_in(page, base, staff[member].email)
            page.goto(panel_url)
            if score != "85,5":  # the chair declared before the refused score
                page.get_by_role("link", name="Kê khai").first.click()
                page.get_by_label("Nguyễn Thị Hồng Nhung", exact=False).select_option("none")
                page.get_by_role("button", name="Ghi bản kê khai").click()
                page.get_by_text("Đã ghi bản kê khai.").wait_for()
            page.get_by_role("link", name="Chấm điểm").click()
            page.get_by_label("Điểm (thang 100)").fill(score)
            page.get_by_role("button", name="Gửi phiếu chấm").click()
            if score == "101":
                page.get_by_text("Điểm phải từ 0 đến 100.").first.wait_for()
                screenshot(page, "score-refused")
            else:
                page.get_by_text("Đã gửi phiếu chấm.").wait_for()

        # The council ranks and downloads the results.
        sign_in(page, base, staff["board"].email)
        move_on(page, round_url, "Tổng hợp kết quả")
        page.get_by_role("link", name="Kết quả", exact=True).click()
        page.get_by_role("button", name="Tổng hợp và xếp hạng").click()
        page.get_by_text("Đã tổng hợp kết quả và xếp hạng.").wait_for()
        row = page.locator("#ranking tbody tr").first.inner_text()
        assert "Nguyễn Thị Hồng Nhung" in row
        assert "82,75" in row  # (85.5 + 80) / 2
        assert "Trúng tuyển".upper() in row.upper()
        screenshot(page, "results")
        # Made in the background: the job's page offers the stored file once it is done.
        page.get_by_role("button", name="Tạo bảng kết quả (PDF)").click()
        link = page.get_by_role("link", name="Tải bảng kết quả (PDF)")
        _wait_for_the_job(page, link)
        with page.expect_download() as download:
            link.click()
        first_page = PdfReader(io.BytesIO(download.value.path().read_bytes())).pages[0]
        text = " ".join(first_page.extract_text().split())
    assert "Nguyễn Thị Hồng Nhung" in text
    assert "82,75" in text
    assert "Trưởng phòng Tổ chức – Hành chính" in text


def _wait_for_the_job(page, link) -> None:
    """The job's thread renders the PDF; the page shows the link once the job says done.
    If it never does, say what the job reports and where every thread of the server
    stands (the server runs in this process)."""
    try:
        link.wait_for(timeout=90_000)
    except PlaywrightTimeoutError:
        status = page.request.get(page.url.split("?")[0] + ".json").json()
        faulthandler.dump_traceback(file=sys.stderr, all_threads=True)
        raise AssertionError(f"the results PDF job did not finish: {status}") from None
