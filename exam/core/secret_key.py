"""The production SECRET_KEY signs every session cookie: whoever knows it can sign in as
anyone. Production refuses a key written anywhere public (this repository's development,
testing and benchmark keys, placeholders), a short one, and one whose characters show a
pattern rather than chance."""

from __future__ import annotations

import itertools
import math
import os
import stat
from collections import Counter
from pathlib import Path

MIN_BITS = 256  # 32 random bytes: 43 characters of URL-safe base64, 64 hex digits
MIN_LENGTH = 43
# Shannon entropy of the key's own characters: a random 43-character URL-safe key has about
# 5, 64 hex digits about 3.8; "abababab…" has 1.
MIN_BITS_PER_CHARACTER = 3.0
GENERATE = 'python -c "import secrets; print(secrets.token_urlsafe(48))"'

# Keys that were ever written in this repository, and the usual placeholders.
KNOWN_KEYS = {
    "dev-only-not-secret",
    "testing-only",
    "bench-only-secret-key",
    "a-long-random-secret",
    "secret",
    "secret-key",
    "secret_key",
    "changeme",
    "change-me",
    "dev",
    "development",
    "x",
}

_HEX = set("0123456789abcdefABCDEF")
_URLSAFE = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/")


def _alphabet_bits(key: str) -> float:
    """Bits a character can carry at most, from the smallest usual alphabet holding the key."""
    characters = set(key)
    if characters <= _HEX:
        return 4.0
    if characters <= _URLSAFE:
        return 6.0
    return math.log2(94)  # printable ASCII


def _bits_per_character(key: str) -> float:
    counts = Counter(key)
    return -sum(n / len(key) * math.log2(n / len(key)) for n in counts.values())


def _has_period(key: str) -> bool:
    """The key repeats a shorter chunk ("k3Y9k3Y9…")."""
    return any(key[p:] == key[:-p] for p in range(1, len(key) // 2 + 1))


def _mostly_sequential(key: str) -> bool:
    """Most neighbours are one code point apart ("abcdef…", "987654…")."""
    steps = [abs(ord(b) - ord(a)) <= 1 for a, b in itertools.pairwise(key)]
    return sum(steps) * 2 > len(steps)


def secret_key_problem(key: str | None) -> str | None:
    """Why ``key`` may not sign production sessions, or None when it may."""
    if not key:
        return "SECRET_KEY is not set."
    if key.strip().lower() in KNOWN_KEYS:
        return "SECRET_KEY is a key written in the repository or a placeholder."
    if len(key) < MIN_LENGTH or len(key) * _alphabet_bits(key) < MIN_BITS:
        return f"SECRET_KEY is too short: at least {MIN_BITS // 8} random bytes are needed."
    if (
        _bits_per_character(key) < MIN_BITS_PER_CHARACTER
        or _has_period(key)
        or _mostly_sequential(key)
    ):
        return "SECRET_KEY follows a pattern: it must be random."
    return None


def key_file_problem(path: str | os.PathLike[str]) -> str | None:
    """The key file must be readable by its owner only."""
    try:
        mode = Path(path).stat().st_mode
    except FileNotFoundError:
        return None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        return f"{path} is readable by others: chmod 600 {path}."
    return None


def refuse_unsafe_secret_key(key: str | None, key_file: str | None) -> None:
    """Raise with what to do when production would sign sessions with an unsafe key."""
    problem = secret_key_problem(key)
    if problem is None and key_file and not os.environ.get("SECRET_KEY"):
        problem = key_file_problem(key_file)
    if problem is not None:
        raise RuntimeError(
            f"{problem} Production refuses to start. Generate a key with\n    {GENERATE}\n"
            f"and set it in the SECRET_KEY environment variable, or write it to "
            f"{key_file or 'instance/secret_key'} (chmod 600); `make serve` creates that "
            f"file when it is missing."
        )
