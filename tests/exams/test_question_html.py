"""HTML questions on the paper, in the bank's preview and in the result review (issue 10,
item 9): sanitised markup rendered as markup, plain text kept literal, and a question's
images served to a candidate only inside their running attempt, for questions on their
paper."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import re
from dataclasses import dataclass

import pytest
import time_machine

from exam.accounts.models import Role, User
from exam.exams.definition import create_test
from exam.exams.models import Attempt, ReviewOption
from exam.exams.models import Test as ExamTest
from exam.exams.papers import generate_papers
from exam.exams.rendering import prerender_papers
from exam.exams.sitting import start_attempt, submit_attempt
from exam.exams.views.sit import response_text
from exam.extensions import db
from exam.question_bank.imports import plan_import, run_import
from exam.question_bank.models import Question
from exam.question_bank.operations import approve_question, submit_for_review
from exam.rounds.models import RoundStatus
from tests.conftest import login

PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)
OTHER_PNG = PNG + b"another image"
START = dt.datetime(2026, 5, 4, 1, 0, tzinfo=dt.UTC)
CODE = "HT9MLX"

MOODLE = f"""<?xml version="1.0" encoding="UTF-8"?>
<quiz>
  <question type="multichoice">
    <name><text>Câu có HTML</text></name>
    <questiontext format="html">
      <text><![CDATA[<p onclick="steal()">Theo <strong>Luật Viên chức</strong>, thời gian
        <em>tập sự</em> tối đa là bao lâu?</p>
        <p><img src="@@PLUGINFILE@@/so%20do.png" alt="Sơ đồ tuyển dụng" onerror="steal()"></p>
        <script>alert(1)</script><!-- đáp án: A -->
        <a href="javascript:alert(1)">xem thêm</a>]]></text>
      <file name="so do.png" path="/" encoding="base64">{base64.b64encode(PNG).decode()}</file>
    </questiontext>
    <generalfeedback format="html"><text>GIAI-THICH-BI-MAT</text></generalfeedback>
    <idnumber>HTML-1</idnumber>
    <single>true</single>
    <shuffleanswers>0</shuffleanswers>
    <answer fraction="100" format="html"><text><![CDATA[<p>Mười <sup>2</sup> tháng</p>]]></text>
      <feedback format="html"><text>PHAN-HOI-BI-MAT</text></feedback></answer>
    <answer fraction="0" format="html"><text><![CDATA[<p>Sai</p>]]></text>
      <feedback format="html"><text></text></feedback></answer>
  </question>
  <question type="multichoice">
    <name><text>Câu văn bản thường</text></name>
    <questiontext format="plain_text">
      <text>Thẻ &lt;b&gt;in đậm&lt;/b&gt; giữ nguyên?</text>
    </questiontext>
    <idnumber>PLAIN-2</idnumber>
    <single>true</single>
    <answer fraction="100" format="plain_text"><text>Có &lt;i&gt;</text></answer>
    <answer fraction="0" format="plain_text"><text>Không</text></answer>
  </question>
  <question type="truefalse">
    <name><text>Câu nháp có hình khác</text></name>
    <questiontext format="html">
      <text><![CDATA[<p>Hình <img src="@@PLUGINFILE@@/khac.png" alt="khác"></p>]]></text>
      <file name="khac.png" path="/" encoding="base64">{base64.b64encode(OTHER_PNG).decode()}</file>
    </questiontext>
    <idnumber>DRAFT-3</idnumber>
    <answer fraction="100"><text>true</text></answer>
    <answer fraction="0"><text>false</text></answer>
  </question>
</quiz>
""".encode()

DIGEST = hashlib.sha256(PNG).hexdigest()
OTHER_DIGEST = hashlib.sha256(OTHER_PNG).hexdigest()


@dataclass
class World:
    candidate: User
    other: User
    author: User
    attempt_id: int
    other_attempt_id: int
    test_id: int
    question_id: int

    @property
    def asset(self) -> str:
        return f"/attempts/{self.attempt_id}/assets/{DIGEST}"


@pytest.fixture
def world(app, make) -> World:
    author, reviewer = make.user(Role.QUESTION_AUTHOR), make.user(Role.QUESTION_AUTHOR)
    bank = make.bank(0)
    plan = plan_import(bank, MOODLE, "moodle-xml", "cau-hoi.xml")
    assert not plan.problems
    questions = {q.key: q for q in run_import(bank, plan, actor=author)}
    make.approved_questions(bank, 6)  # the bank holds 3× the paper (a test's rule)
    round_ = make.round()
    position = round_.positions[0]
    candidate, other = make.user(Role.CANDIDATE), make.user(Role.CANDIDATE)
    mine, theirs = make.application(position, candidate), make.application(position, other)
    board = make.user(Role.BOARD_ADMIN)
    test = create_test(
        round_,
        bank,
        title="Trắc nghiệm có HTML",
        question_count=2,
        duration_minutes=30,
        starts_at=START,
        review_option=ReviewOption.OWN_ANSWERS,
        actor=board,
    )
    test.shuffle_options = False
    test.sessions[0].code = CODE
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=START - dt.timedelta(hours=1))
    db.session.flush()
    # Both papers carry the two imported questions (approved after the draw, so that it did
    # not pick them already); DRAFT-3 stays a draft, on no paper.
    for key in ("HTML-1", "PLAIN-2"):
        submit_for_review(questions[key], actor=author)
        approve_question(questions[key], actor=reviewer, at=START - dt.timedelta(days=3))
    for application in (mine, theirs):
        items = make.attempt(test, application).questions
        for item, key in zip(items, ("HTML-1", "PLAIN-2"), strict=True):
            item.question_version_id, item.option_order = questions[key].current.id, []
    db.session.flush()
    db.session.expire_all()
    with app.test_request_context():  # as the "make papers" page does
        prerender_papers(test)
    world = World(
        candidate,
        other,
        author,
        make.attempt(test, mine).id,
        make.attempt(test, theirs).id,
        test.id,
        questions["HTML-1"].id,
    )
    db.session.commit()
    return world


def _start(attempt_id: int, user: User) -> None:
    attempt = db.session.get(Attempt, attempt_id)
    start_attempt(attempt, session_code=CODE, at=START + dt.timedelta(minutes=1))
    db.session.commit()


def _during():
    return time_machine.travel(START + dt.timedelta(minutes=5), tick=False)


def test_the_paper_shows_sanitised_html_and_the_attempts_image_route(app, world):
    _start(world.attempt_id, world.candidate)
    with _during():
        client = login(app.test_client(), world.candidate)
        page = client.get(f"/attempts/{world.attempt_id}").get_data(as_text=True)
        image = client.get(world.asset)
    assert "Theo <strong>Luật Viên chức</strong>" in page
    assert "&lt;p&gt;" not in page
    assert "&lt;strong&gt;" not in page
    # Options: the markup kept, the single <p> around each dropped after its letter.
    assert "A.</span> Mười <sup>2</sup> tháng</label>" in page
    assert "B.</span> Sai</label>" in page
    assert f'src="/attempts/{world.attempt_id}/assets/{DIGEST}"' in page
    assert 'alt="Sơ đồ tuyển dụng"' in page
    for leak in ("<script>alert", "onerror", "onclick", "javascript:", "đáp án: A", "@@PLUGINFILE"):
        assert leak not in page, leak
    # Nothing of the key: no feedback, no explanation, no fraction.
    for secret in ("PHAN-HOI-BI-MAT", "GIAI-THICH-BI-MAT", "fraction"):
        assert secret not in page, secret
    assert image.status_code == 200
    assert image.mimetype == "image/png"
    assert image.data == PNG
    assert image.headers["Cache-Control"] == "private, no-store"


def test_a_plain_text_question_shows_its_tags_literally(app, world):
    _start(world.attempt_id, world.candidate)
    with _during():
        page = login(app.test_client(), world.candidate).get(f"/attempts/{world.attempt_id}")
    html = page.get_data(as_text=True)
    assert "Thẻ &lt;b&gt;in đậm&lt;/b&gt; giữ nguyên?" in html
    assert "Có &lt;i&gt;</label>" in html
    assert "<b>in đậm</b>" not in html


def test_the_image_route_hides_itself_from_everyone_else(app, world):
    _start(world.attempt_id, world.candidate)
    _start(world.other_attempt_id, world.other)
    with _during():
        other = login(app.test_client(), world.other)
        assert other.get(world.asset).status_code == 404  # another candidate's paper
        own_route = f"/attempts/{world.other_attempt_id}/assets/{DIGEST}"
        assert other.get(own_route).status_code == 200  # the same image on their own paper
        assert app.test_client().get(world.asset).status_code == 404  # a guest
        assert login(app.test_client(), world.author).get(world.asset).status_code == 404
        mine = login(app.test_client(), world.candidate)
        # A question of the bank that is not on the paper (a draft, never drawn).
        not_on_paper = f"/attempts/{world.attempt_id}/assets/{OTHER_DIGEST}"
        assert mine.get(not_on_paper).status_code == 404
        assert mine.get(f"/attempts/{world.attempt_id}/assets/{'0' * 64}").status_code == 404


def test_the_image_route_serves_only_a_running_paper(app, world):
    with _during():  # the session has started but this candidate has not pressed Start
        assert login(app.test_client(), world.candidate).get(world.asset).status_code == 404
    _start(world.attempt_id, world.candidate)
    attempt = db.session.get(Attempt, world.attempt_id)
    submit_attempt(attempt, actor=world.candidate, at=START + dt.timedelta(minutes=6))
    db.session.commit()
    with time_machine.travel(START + dt.timedelta(minutes=7), tick=False):
        assert login(app.test_client(), world.candidate).get(world.asset).status_code == 404


def test_the_image_route_closes_at_the_deadline(app, world):
    _start(world.attempt_id, world.candidate)
    with time_machine.travel(START + dt.timedelta(minutes=31), tick=False):
        assert login(app.test_client(), world.candidate).get(world.asset).status_code == 404


def test_the_result_review_shows_the_markup_without_images(app, world):
    _start(world.attempt_id, world.candidate)
    test = db.session.get(ExamTest, world.test_id)
    attempt = db.session.get(Attempt, world.attempt_id)
    item = next(i for i in attempt.questions if i.version.question.key == "HTML-1")
    submit_attempt(attempt, actor=world.candidate, at=START + dt.timedelta(minutes=6))
    db.session.commit()
    later = START + dt.timedelta(minutes=test.duration_minutes, days=1)
    with time_machine.travel(later, tick=False):
        client = login(app.test_client(), world.candidate)
        page = client.get(f"/attempts/{world.attempt_id}").get_data(as_text=True)
        image = client.get(world.asset)
    assert "Theo <strong>Luật Viên chức</strong>" in page
    assert "&lt;p&gt;" not in page
    assert "<script>alert" not in page
    assert re.search(r'<img alt="Sơ đồ tuyển dụng">', page)  # no source once the paper closed
    assert f"/assets/{DIGEST}" not in page
    assert image.status_code == 404
    # An option named in a sentence ("Bạn trả lời: A. …") is its words, not its tags.
    right = item.version.data["choices"][0]["id"]
    with app.test_request_context():
        assert response_text(item, right) == "A. Mười 2 tháng"


def test_the_bank_preview_shows_the_html_and_its_image_to_the_question_board(app, world):
    question = db.session.get(Question, world.question_id)
    version_id = question.current.id
    client = login(app.test_client(), world.author)
    page = client.get(f"/bank/questions/{world.question_id}").get_data(as_text=True)
    assert "Theo <strong>Luật Viên chức</strong>" in page
    assert f'src="/bank/media/{version_id}/so%20do.png"' in page
    assert "<script>alert" not in page
    assert "onerror" not in page
    image = client.get(f"/bank/media/{version_id}/so%20do.png")
    assert image.status_code == 200
    assert image.data == PNG


def test_the_item_analysis_names_an_html_question_by_its_words(app, make, world):
    for attempt_id, user in (
        (world.attempt_id, world.candidate),
        (world.other_attempt_id, world.other),
    ):
        _start(attempt_id, user)
        attempt = db.session.get(Attempt, attempt_id)
        submit_attempt(attempt, actor=user, at=START + dt.timedelta(minutes=6))
    board = make.user(Role.BOARD_ADMIN)
    db.session.commit()
    client = login(app.test_client(), board)
    page = client.get(f"/tests/{world.test_id}/analysis").get_data(as_text=True)
    assert "Theo Luật Viên chức, thời gian tập sự" in page
    assert "&lt;p" not in page
    assert "&lt;b&gt;in đậm" in page  # the plain-text question keeps its characters
