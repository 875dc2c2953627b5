"""The rule for a new password, after NIST SP 800-63B (5.1.1.2): long enough, not a common
or breached password, not repetitive or sequential, not the account's own e-mail or name. No
composition rules (a digit, a capital…): they make passwords harder to remember, not to guess.

Common passwords, dictionary words, keyboard walks, repeats and sequences are judged by
zxcvbn (Dropbox's estimator, with the 30,000 most common passwords of public breach lists),
which also weighs the account's own words. A password it expects to fall within 10^8 guesses
(its score below 3) is refused, with the reason it found, in words.
"""

from __future__ import annotations

import re
import unicodedata

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

MIN_PASSWORD_LENGTH = 10
MIN_SCORE = 3  # zxcvbn: "safely unguessable", about 10^8 guesses or more
# zxcvbn's run time grows with the length it examines; beyond this, a password is long
# enough that its first characters decide.
_EXAMINED_LENGTH = 72


def _plain(text: str) -> str:
    """Lower case, without Vietnamese diacritics (đ → d) or anything but letters and digits:
    "Nguyễn Thị Hoa" and "nguyen.thi.hoa" compare equal."""
    decomposed = unicodedata.normalize("NFD", text.casefold().replace("đ", "d"))
    return re.sub(r"[\W_]+", "", "".join(c for c in decomposed if not unicodedata.combining(c)))


def _own_words(email: str, full_name: str) -> list[str]:
    """The account's words: the address, its part before @, the name in both orders."""
    words = []
    email = email.strip()
    if email:
        words += [_plain(email), _plain(email.split("@", 1)[0])]
    names = full_name.split()
    if names:
        words += [_plain(full_name), _plain(" ".join(names[-1:] + names[:-1]))]
    return [word for word in words if len(word) >= 3]


def _zxcvbn_reason(password: str, own_words: list[str], parts: list[str]) -> LazyString | None:
    from zxcvbn import zxcvbn

    inputs = own_words + parts
    result = zxcvbn(password[:_EXAMINED_LENGTH], user_inputs=inputs)
    if result["score"] >= MIN_SCORE:
        return None
    patterns = {
        match.get("dictionary_name") if match["pattern"] == "dictionary" else match["pattern"]
        for match in result["sequence"]
    }
    if "user_inputs" in patterns:
        return _OWN_WORDS
    if "passwords" in patterns:
        return _l("Mật khẩu này quá phổ biến, thường bị dò đầu tiên. Vui lòng chọn mật khẩu khác.")
    if "repeat" in patterns:
        return _l("Mật khẩu lặp lại một ký tự hoặc một cụm (như aaaa, abcabc). Vui lòng chọn khác.")
    if "sequence" in patterns:
        return _l("Mật khẩu là một dãy liên tiếp (như 123456, abcdef). Vui lòng chọn khác.")
    if "spatial" in patterns:
        return _l("Mật khẩu là các phím liền nhau trên bàn phím. Vui lòng chọn khác.")
    return _l(
        "Mật khẩu quá dễ đoán. Nên dùng một cụm vài từ dễ nhớ với bạn nhưng người khác khó đoán."
    )


_OWN_WORDS = _l("Mật khẩu không được chứa địa chỉ email hay họ tên của bạn.")


def password_problems(password: str, *, email: str = "", full_name: str = "") -> list[LazyString]:
    """Why ``password`` is refused for the account of ``email`` and ``full_name`` (empty:
    accepted). One reason at most, the most useful to act on."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return [_l("Mật khẩu cần ít nhất %(n)d ký tự.", n=MIN_PASSWORD_LENGTH)]
    own_words = _own_words(email, full_name)
    plain = _plain(password)
    if any(word in plain for word in own_words):
        return [_OWN_WORDS]
    # Each word of the name and the address weighs too ("hoa" in "hoa2026!" is guessed first).
    parts = [_plain(part) for part in re.split(r"[\s@._+-]+", f"{full_name} {email}") if part]
    reason = _zxcvbn_reason(password, own_words, parts)
    return [reason] if reason is not None else []
