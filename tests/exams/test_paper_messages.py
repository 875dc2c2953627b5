"""The exam page's messages (connection, time, the questions' states) are translated by the
page's template and read by static/js/attempt.js, which holds none of its own."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine

from tests.conftest import login
from tests.exams.test_attempts import MINUTE, START, _start, sitting  # noqa: F401 (fixture)

ATTEMPT_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "attempt.js"
KEYS = {"online", "saving", "offline", "error", "closed", "remaining"}
KEYS |= {"answered", "unanswered", "flagged"}
VIETNAMESE = {
    "online": "Đã kết nối — mọi câu trả lời đã được lưu",
    "offline": "Mất kết nối — câu trả lời được giữ trên máy và sẽ gửi lại khi có mạng",
    "closed": "Đã hết giờ",
    "remaining": "Thời gian còn lại: {time}",
    "answered": "đã trả lời",
}
ENGLISH = {
    "online": "Connected — all answers saved",
    "saving": "Saving…",
    "offline": "No connection — answers kept on this computer, will be sent when the network "
    "returns",
    "error": "Not saved — signed out; answers kept on this computer",
    "closed": "Time is up",
    "remaining": "Time remaining: {time}",
    "answered": "answered",
}


class _Attempt(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.messages: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if attributes.get("id") == "attempt":
            self.messages = attributes.get("data-messages")


def _messages(page: str) -> dict[str, str]:
    parser = _Attempt()
    parser.feed(page)
    assert parser.messages, "the page has no messages for attempt.js"
    return json.loads(parser.messages)


@pytest.mark.parametrize(("language", "expected"), [("vi", VIETNAMESE), ("en", ENGLISH)])
def test_the_exam_page_gives_the_script_its_messages_in_the_readers_language(
    app,
    sitting,  # noqa: F811
    language,
    expected,
):
    attempt = _start(sitting.attempt, sitting.candidate)
    with time_machine.travel(START + 2 * MINUTE, tick=False):
        client = login(app.test_client(), sitting.candidate)
        client.post("/language", data={"language": language, "next": "/"})
        page = client.get(f"/attempts/{attempt.id}").get_data(as_text=True)
    messages = _messages(page)
    assert set(messages) == KEYS
    assert all(messages.values())
    for key, text in expected.items():
        assert messages[key] == text, key


def test_attempt_js_holds_no_message_of_its_own():
    source = ATTEMPT_JS.read_text(encoding="utf-8")
    assert not re.search("[À-ỹ]", source), "a Vietnamese letter in attempt.js"
    for literal in (
        "Connected",
        "Saving",
        "No connection",
        "Not saved",
        "Time is up",
        "Time remaining",
        'lang === "en"',
    ):
        assert literal not in source, literal
    assert "JSON.parse(root.dataset.messages)" in source
