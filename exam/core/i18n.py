"""Language, time zone, dates and the Vietnamese order of names."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, current_app, g, request, session
from flask_babel import get_translations

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
SESSION_LANGUAGE_KEY = "language"

# Vietnamese letters in dictionary order; ă â ê ô ơ ư đ are letters of their own.
# f j w z (foreign names) sit where the Latin alphabet puts them.
_ALPHABET = "aăâbcdđeêfghijklmnoôơpqrstuưvwxyz"
_LETTER_RANK = {letter: rank for rank, letter in enumerate(_ALPHABET, start=1)}
_LETTER_MARKS = {"\u0306": "ă", "\u0302": "^", "\u031b": "horn"}  # breve, circumflex, horn
# Tones in dictionary order (CLDR vi): none, huyền, hỏi, ngã, sắc, nặng.
_TONE_RANK = {"\u0300": 1, "\u0309": 2, "\u0303": 3, "\u0301": 4, "\u0323": 5}
_MODIFIED = {
    ("a", "\u0306"): "ă",
    ("a", "\u0302"): "â",
    ("e", "\u0302"): "ê",
    ("o", "\u0302"): "ô",
    ("o", "\u031b"): "ơ",
    ("u", "\u031b"): "ư",
}


def select_locale() -> str:
    """Vietnamese unless the person chose another language (the switch in the header)."""
    languages = current_app.config["LANGUAGES"]
    chosen = session.get(SESSION_LANGUAGE_KEY) if request else None
    return chosen if chosen in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def request_translations() -> Any:
    """Flask-Babel's translations for this context, kept on the context beside the locale
    they were loaded for: Flask-Babel looks them up anew for every string (about 12 µs, a
    quarter of the exam paper page's template: 26 strings). A ``force_locale`` or a
    ``refresh`` puts another locale object in place, so the cache never outlives its locale."""
    state = g.get("_flask_babel")
    locale = getattr(state, "babel_locale", None)
    cached = getattr(state, "exam_translations", None)
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    state = g.get("_flask_babel")  # get_translations may have made it, and the locale
    locale = getattr(state, "babel_locale", None)
    if locale is not None:
        state.exam_translations = (locale, translations)
    return translations


def install_template_gettext(app: Flask) -> None:
    """The templates' ``_``/``gettext`` family on ``request_translations`` (replacing
    Flask-Babel's, which it installed in ``init_app``); same strings, same autoescaping."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: request_translations().ugettext(s),
        ngettext=lambda s, p, n: request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: request_translations().unpgettext(c, s, p, n),
    )


def _word_key(word: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(letters, tones) of one word: letters compare first, tones only break ties."""
    letters: list[int] = []
    tones: list[int] = []
    for char in unicodedata.normalize("NFD", word.lower()):
        if char in _TONE_RANK:
            tones[-1:] = [_TONE_RANK[char]] if tones else []
        elif char in _LETTER_MARKS and letters:
            base = _ALPHABET[letters[-1] - 1]
            modified = _MODIFIED.get((base, char))
            if modified:
                letters[-1] = _LETTER_RANK[modified]
        elif unicodedata.combining(char):
            continue
        else:
            letters.append(_LETTER_RANK.get(char, 100 + ord(char)))
            tones.append(0)
    return tuple(letters), tuple(tones)


def vietnamese_sort_key(full_name: str) -> tuple:
    """Sort key for a Vietnamese full name: given name, then family name, then middle names.

    "Nguyễn Văn An" sorts under An, then Nguyễn, then Văn; letters first (a < ă < â ...),
    tones only to separate names that are otherwise equal.
    """
    words = full_name.split()
    if not words:
        return ((), (), ())
    given, family, middle = words[-1], words[0] if len(words) > 1 else "", words[1:-1]
    ordered = [given, family, *middle]
    keys = [_word_key(word) for word in ordered]
    return (tuple(k[0] for k in keys), tuple(k[1] for k in keys), full_name)


_D = str.maketrans({"đ": "d", "Đ": "D"})


def strip_diacritics(text: str) -> str:
    """Vietnamese (and any Latin) text without its marks: "Đường Lê Lợi" → "Duong Le Loi"."""
    decomposed = unicodedata.normalize("NFD", text.translate(_D))
    kept = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", kept)


def fold(text: str | None) -> str:
    """Text as searches and loose comparisons see it: no case, no marks, single spaces
    ("  Bệnh viện  Đống Đa" and "benh vien dong da" fold alike)."""
    return " ".join(strip_diacritics(text or "").casefold().split())


def to_local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(LOCAL_TZ)


def format_date(value: dt.date | dt.datetime | None) -> str:
    """dd/mm/yyyy; a datetime is first moved to Hanoi time."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = to_local(value)
    return value.strftime("%d/%m/%Y")


def format_datetime(value: dt.datetime | None) -> str:
    """dd/mm/yyyy HH:MM in Hanoi time."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def format_score(value: float | None) -> str:
    """Scores with 2 decimals and the Vietnamese decimal comma."""
    if value is None:
        return "—"
    return f"{value:.2f}".replace(".", ",")


def local_to_utc(value: dt.datetime) -> dt.datetime:
    """A naive datetime typed in a form is Hanoi time; store it as UTC."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(dt.UTC)
