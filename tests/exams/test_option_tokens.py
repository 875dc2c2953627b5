"""The exam page never shows the bank's ids of a question's parts (issue 10, item 1).

The bank's ids are stable ("a" is the option the author wrote first), and authors put the
right answer first more often than not: a page showing ``value="a"`` let a candidate who
answered "a" everywhere pass. Each paper shows its own tokens instead (exam.exams.tokens),
translated back to the bank's ids when saved.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
import sqlalchemy as sa
import time_machine

from exam.accounts.models import Role, User
from exam.exams.definition import add_section, create_test
from exam.exams.models import (
    Answer,
    Attempt,
    AttemptQuestion,
    AttemptStatus,
    RenderedPaper,
    ReviewOption,
)
from exam.exams.papers import generate_papers
from exam.exams.rendering import prerender_papers
from exam.exams.sitting import start_attempt, submit_attempt
from exam.exams.tokens import TOKEN_LENGTH, decode_response, option_token, part_tokens
from exam.extensions import db
from exam.question_bank.interchange import Choice, MatchPair, QuestionData
from exam.question_bank.operations import (
    approve_question,
    create_bank,
    create_question,
    submit_for_review,
)
from exam.question_bank.qtypes import InvalidResponse, get_type
from exam.rounds.models import RoundStatus
from tests.conftest import login
from tests.helpers import paper_token, paper_tokens

START = dt.datetime(2026, 4, 1, 1, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)
CODE = "TK7QKX"
TYPES = ("single_choice", "multiple_response", "true_false", "matching", "ordering")


def _question(kind: str, n: int) -> QuestionData:
    """A question of each shown type whose right answer is, as in the old sample bank,
    the first part the author wrote."""
    text = f"Câu hỏi {kind} số {n}"
    if kind == "single_choice":
        choices = [Choice(f"Phương án {x} ({n})", 1.0 if x == "A" else 0.0) for x in "ABCD"]
        return QuestionData(kind, text, choices=choices)
    if kind == "multiple_response":
        fractions = (0.5, 0.5, -1.0, -1.0)
        choices = [Choice(f"Lựa chọn {x} ({n})", f) for x, f in zip("ABCD", fractions, strict=True)]
        return QuestionData(kind, text, choices=choices)
    if kind == "true_false":
        return QuestionData(kind, text, correct_answer=True)
    if kind == "matching":
        pairs = [MatchPair(f"Vế hỏi {x} ({n})", f"Vế trả lời {x} ({n})") for x in "ABC"]
        return QuestionData(kind, text, pairs=[*pairs, MatchPair("", f"Nhiễu ({n})")])
    return QuestionData(kind, text, items=[f"Bước {x} ({n})" for x in "ABCD"])


def _right(item: AttemptQuestion) -> object:
    """The right response in the bank's ids."""
    data, kind = item.version.data, item.version.type
    if kind == "single_choice":
        return next(c["id"] for c in data["choices"] if c["fraction"] == 1)
    if kind == "multiple_response":
        return [c["id"] for c in data["choices"] if c["fraction"] > 0]
    if kind == "true_false":
        return "true"
    if kind == "matching":
        return {p["id"]: p["answer_id"] for p in data["pairs"] if p.get("id")}
    return {entry["id"]: n for n, entry in enumerate(data["items"], start=1)}


@dataclass
class World:
    candidates: list[User]
    attempt_ids: list[int]
    test_id: int

    def attempt(self, n: int = 0) -> Attempt:
        return db.session.get(Attempt, self.attempt_ids[n])


@pytest.fixture
def world(make, monkeypatch) -> World:
    """Two papers of the same five questions (one of each shown type): a bank of one
    question a type, allowed by a ratio of 1 to the paper."""
    monkeypatch.setattr("exam.exams.definition.BANK_RATIO_DEFAULT", 1)
    author, reviewer = make.user(Role.QUESTION_AUTHOR), make.user(Role.QUESTION_AUTHOR)
    board = make.user(Role.BOARD_ADMIN)
    bank = create_bank("Ngân hàng mã hóa phương án", "", actor=author)
    for kind in TYPES:
        question = create_question(bank, _question(kind, 0), actor=author)
        submit_for_review(question, actor=author)
        approve_question(question, actor=reviewer, at=START - dt.timedelta(days=9))
    round_ = make.round()
    candidates = [make.user(Role.CANDIDATE) for _ in range(2)]
    applications = [make.application(round_.positions[0], c) for c in candidates]
    test = create_test(
        round_,
        bank,
        title="Trắc nghiệm",
        question_count=1,
        duration_minutes=60,
        starts_at=START,
        question_type=TYPES[0],
        actor=board,
    )
    for kind in TYPES[1:]:
        add_section(
            test,
            title=kind,
            question_count=1,
            points_per_question=1,
            question_type=kind,
            actor=board,
        )
    test.sessions[0].code = CODE
    make.stage(test.round, RoundStatus.TESTING)
    generate_papers(test, actor=board, at=START - dt.timedelta(hours=1))
    db.session.flush()
    made = World(candidates, [make.attempt(test, a).id for a in applications], test.id)
    db.session.commit()
    return made


def _start(world: World, n: int = 0) -> Attempt:
    attempt = world.attempt(n)
    start_attempt(attempt, session_code=CODE, at=START + MINUTE)
    db.session.commit()
    return attempt


def _post(app, world: World, n: int, *entries: dict):
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), world.candidates[n])
        return client.post(
            f"/attempts/{world.attempt_ids[n]}/answers", json={"answers": list(entries)}
        )


def _stored(attempt_id: int) -> dict[int, object]:
    db.session.expire_all()
    rows = db.session.execute(
        sa.select(Answer.attempt_question_id, Answer.response)
        .join(AttemptQuestion)
        .where(AttemptQuestion.attempt_id == attempt_id)
    )
    return dict(rows.all())


class _Controls(HTMLParser):
    """Every attribute of the page's form controls and labels that names a part."""

    NAMING = ("value", "id", "for", "data-key")

    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in self.NAMING or name.startswith("data-"):
                self.found.append((tag, name, value or ""))


def _named_parts(html: str, item: AttemptQuestion) -> set[str]:
    """What the page's controls of one question say about its parts: values, data-key,
    and what follows ``q-<item>-`` in ids and ``for``."""
    start = html.index(f'data-item="{item.id}"')
    end = html.find("</fieldset>", start)
    parser = _Controls()
    parser.feed(html[html.rindex("<fieldset", 0, start) : end])
    prefix = f"q-{item.id}-"
    named = set()
    for _tag, name, value in parser.found:
        if name in ("id", "for"):
            if value.startswith(prefix):
                named.add(value.removeprefix(prefix))
        elif name in ("value", "data-key"):
            named.add(value)
    return named - {""}


def _bank_ids(item: AttemptQuestion) -> set[str]:
    return set(get_type(item.version.type).part_ids(item.version.data))


def _assert_no_bank_id(html: str, attempt: Attempt) -> None:
    kinds = set()
    for item in attempt.questions:
        kinds.add(item.version.type)
        named = _named_parts(html, item)
        assert named, item.version.type
        bank_ids = _bank_ids(item)
        if item.version.type == "true_false":
            # Its values say what their labels say (Đúng / Sai) and nothing of the key.
            assert named == {"true", "false"}
            continue
        assert not named & bank_ids, (item.version.type, named & bank_ids)
        tokens = set(
            part_tokens(
                item.attempt.token_secret, item.id, item.version.type, item.version.data
            ).values()
        )
        if item.version.type == "ordering":
            tokens |= {str(n) for n in range(1, len(bank_ids) + 1)}  # the positions offered
        assert named <= tokens, (item.version.type, named - tokens)
    assert kinds == set(TYPES)


# --- the page ---------------------------------------------------------------------------------


def test_the_rendered_paper_names_no_bank_id_of_any_type(app, world):
    attempt = _start(world)
    for item in attempt.questions:  # saved answers are shown checked: tokens there too
        db.session.add(
            Answer(
                attempt_question=item,
                response=get_type(item.version.type).clean_response(
                    item.version.data, _right(item)
                ),
                answered=True,
                seq=1,
                saved_at=START + 2 * MINUTE,
            )
        )
    db.session.commit()
    with time_machine.travel(START + 5 * MINUTE, tick=False):
        client = login(app.test_client(), world.candidates[0])
        html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert 'id="paper"' in html
    _assert_no_bank_id(html, attempt)
    assert not re.search(r'value="[a-j]"', html)
    # The saved answers are checked by their tokens.
    for item in attempt.questions:
        if item.version.type == "single_choice":
            right = paper_token(item, _right(item))
            assert f'id="q-{item.id}-{right}" value="{right}" checked' in html


def test_prerendered_papers_carry_tokens(app, world):
    test = world.attempt().test
    assert prerender_papers(test) == 2
    db.session.commit()
    for n in range(2):
        attempt = world.attempt(n)
        html = db.session.get(RenderedPaper, attempt.id).html
        _assert_no_bank_id(html, attempt)
    # The paper served from the rendering at the start of the session is the same.
    _start(world)
    with time_machine.travel(START + 2 * MINUTE, tick=False):
        client = login(app.test_client(), world.candidates[0])
        page = client.get(f"/attempts/{world.attempt_ids[0]}").get_data(as_text=True)
    _assert_no_bank_id(page, world.attempt())


def test_two_papers_show_the_same_question_with_different_tokens(world):
    first, second = world.attempt(0), world.attempt(1)
    assert first.token_secret != second.token_secret
    assert len(first.token_secret) == 32
    by_version = {item.question_version_id: item for item in second.questions}
    assert by_version.keys() == {item.question_version_id for item in first.questions}
    for item in first.questions:
        other = by_version[item.question_version_id]
        mine = part_tokens(first.token_secret, item.id, item.version.type, item.version.data)
        theirs = part_tokens(second.token_secret, other.id, other.version.type, other.version.data)
        assert mine.keys() == theirs.keys()
        assert not set(mine.values()) & set(theirs.values())
    # Even one secret gives other tokens to another question (the item id is signed).
    assert option_token(first.token_secret, 1, "a") != option_token(first.token_secret, 2, "a")
    assert len(option_token(first.token_secret, 1, "a")) == TOKEN_LENGTH


# --- saving -----------------------------------------------------------------------------------


def test_saving_tokens_stores_bank_ids_and_scores_every_type(app, world):
    attempt = _start(world)
    entries = [
        {"item": item.id, "response": paper_tokens(item, _right(item)), "seq": n}
        for n, item in enumerate(attempt.questions, start=1)
    ]
    response = _post(app, world, 0, *entries)
    assert response.status_code == 200, response.get_json()
    stored = _stored(attempt.id)
    for item in attempt.questions:
        expected = get_type(item.version.type).clean_response(item.version.data, _right(item))
        assert stored[item.id] == expected  # the bank's ids, as before
    attempt = world.attempt()
    submit_attempt(attempt, actor=world.candidates[0], at=START + 6 * MINUTE)
    assert attempt.status == AttemptStatus.SUBMITTED
    assert attempt.score == len(TYPES)


def _bank_id_response(item: AttemptQuestion) -> object:
    """The right answer as the bank's ids, sent as they are: what the old page sent."""
    return _right(item)


@pytest.mark.parametrize("kind", [k for k in TYPES if k != "true_false"])
def test_a_bank_id_is_refused(app, world, kind):
    attempt = _start(world)
    [item] = [i for i in attempt.questions if i.version.type == kind]
    response = _post(app, world, 0, {"item": item.id, "response": _right(item), "seq": 1})
    assert response.status_code == 400
    assert response.get_json()["error"] == "Câu trả lời không hợp lệ."
    assert _stored(attempt.id) == {}


def test_answering_a_everywhere_no_longer_reaches_the_key(app, world):
    """The attack of the issue: "a" is the right option of every single-choice question
    here, as of 7 in 10 in the old sample bank."""
    attempt = _start(world)
    choice_items = [i for i in attempt.questions if i.version.type == "single_choice"]
    assert all(_right(item) == "a" for item in choice_items)
    everywhere_a = [{"item": i.id, "response": "a", "seq": 1} for i in choice_items]
    response = _post(app, world, 0, *everywhere_a)
    assert response.status_code == 400
    assert response.get_json()["error"] == "Câu trả lời không hợp lệ."
    assert _stored(attempt.id) == {}
    # Nor does the token of another paper's right answer, or of another question.
    other = world.attempt(1)
    [their_item] = [i for i in other.questions if i.version.type == "single_choice"]
    [mine] = choice_items
    for stolen in (
        paper_token(their_item, "a"),
        option_token(attempt.token_secret, mine.id + 1, "a"),
    ):
        refused = _post(app, world, 0, {"item": mine.id, "response": stolen, "seq": 2})
        assert refused.status_code == 400
        assert refused.get_json()["error"] == "Câu trả lời không hợp lệ."
    assert _stored(attempt.id) == {}


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("single_choice", lambda item, t: "zzzzzzzzzz"),
        ("single_choice", lambda item, t: 1),
        ("multiple_response", lambda item, t: [t("a"), "a"]),
        ("multiple_response", lambda item, t: [t("a"), ["b"]]),
        ("matching", lambda item, t: {"1": t(item.version.data["pairs"][0]["answer_id"])}),
        ("matching", lambda item, t: {t("1"): item.version.data["pairs"][0]["answer_id"]}),
        ("matching", lambda item, t: {t("1"): t("2")}),  # a prompt given as an answer
        ("ordering", lambda item, t: {item.version.data["items"][0]["id"]: 1}),
        ("ordering", lambda item, t: {t(item.version.data["items"][0]["id"]): 9}),
    ],
)
def test_a_value_that_is_no_token_of_the_question_is_refused(app, world, kind, bad):
    attempt = _start(world)
    [item] = [i for i in attempt.questions if i.version.type == kind]
    response = _post(
        app,
        world,
        0,
        {"item": item.id, "response": bad(item, lambda p: paper_token(item, p)), "seq": 1},
    )
    assert response.status_code == 400
    assert response.get_json()["error"] == "Câu trả lời không hợp lệ."


def test_empty_responses_still_clear_an_answer(app, world):
    attempt = _start(world)
    entries = [
        {"item": item.id, "response": empty, "seq": 1}
        for item, empty in zip(attempt.questions, (None, [], None, {}, {}), strict=True)
    ]
    assert _post(app, world, 0, *entries).status_code == 200
    assert all(not (r) for r in _stored(attempt.id).values())


def test_decode_response_translates_each_shape():
    secret = "00" * 16
    data = get_type("matching").data_from_interchange(_question("matching", 0))
    prompt, answer = data["pairs"][0]["id"], data["pairs"][1]["answer_id"]
    t = lambda part: option_token(secret, 7, part)  # noqa: E731
    assert decode_response(secret, 7, "matching", data, {t(prompt): t(answer)}) == {prompt: answer}
    assert decode_response(secret, 7, "matching", data, {t(prompt): None}) == {prompt: None}
    with pytest.raises(InvalidResponse):
        decode_response(secret, 8, "matching", data, {t(prompt): t(answer)})  # another item
    # Types without parts take their response as it is.
    assert decode_response(secret, 7, "short_answer", {"answers": []}, "Hà Nội") == "Hà Nội"
    assert decode_response(secret, 7, "true_false", {"answer": True}, "true") == "true"


# --- after the test ---------------------------------------------------------------------------


def test_the_review_after_the_test_shows_letters_and_words_not_ids(app, world):
    attempt = _start(world)
    test = attempt.test
    test.review_option = ReviewOption.CORRECT_ANSWERS
    db.session.commit()
    entries = [
        {"item": item.id, "response": paper_tokens(item, _right(item)), "seq": 1}
        for item in attempt.questions
    ]
    assert _post(app, world, 0, *entries).status_code == 200
    submit_attempt(world.attempt(), actor=world.candidates[0], at=START + 6 * MINUTE)
    db.session.commit()
    after_everyone = START + dt.timedelta(minutes=test.duration_minutes + 10)
    with time_machine.travel(after_everyone, tick=False):
        client = login(app.test_client(), world.candidates[0])
        html = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    assert 'id="review"' in html
    matching = next(i for i in attempt.questions if i.version.type == "matching")
    first = matching.version.data["pairs"][0]
    assert f"{first['prompt']} → {first['answer']}" in html  # in words
    for item in attempt.questions:
        ids = _bank_ids(item) - {str(n) for n in range(1, 10)} - {"a", "b", "c", "d"}
        assert not any(part in html for part in ids), item.version.type  # "m…", "o…" ids
        tokens = part_tokens(
            attempt.token_secret, item.id, item.version.type, item.version.data
        ).values()
        assert not any(token in html for token in tokens)
