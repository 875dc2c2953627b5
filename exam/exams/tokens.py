"""Option tokens: what the exam page shows in place of the bank's ids of a question's parts.

A bank gives each option a stable id ("a" is the option the author wrote first), so a page
showing ids tells the shuffled options apart by the author's order, and the author's order
often hints at the key. Each paper has a random secret (``Attempt.token_secret``, never sent
to the browser); the page shows, for each part id of a question (options, matching prompts
and answers, ordering items), ``HMAC-SHA256(secret, "<item id>:<part id>")`` cut to
``TOKEN_LENGTH`` hexadecimal characters: different on every paper and every question, and
meaningless without the secret. A save translates the tokens back to ids before the question
type cleans the response, so stored responses, scoring, review, statistics and exports keep
the bank's ids. A token of another question or paper, or a bank id, is refused.
"""

from __future__ import annotations

import hmac
from typing import Any

from exam.question_bank.qtypes import get_type

# 48 bits: a guess hits one of a question's options about once in 10^14. Never the length of
# a bank id ("a", a prompt's number, "m"/"o" + 10 hex digits), so no token is also an id.
TOKEN_LENGTH = 12


def _token(key: bytes, item_id: int, part_id: str) -> str:
    return hmac.digest(key, f"{item_id}:{part_id}".encode(), "sha256").hex()[:TOKEN_LENGTH]


def option_token(secret: str, item_id: int, part_id: str) -> str:
    return _token(bytes.fromhex(secret), item_id, part_id)


def part_tokens(secret: str, item_id: int, qtype: str, data: dict[str, Any]) -> dict[str, str]:
    """The page's token for each part id of one question of a paper."""
    key = bytes.fromhex(secret)
    return {part: _token(key, item_id, part) for part in get_type(qtype).part_ids(data)}


def decode_response(secret: str, item_id: int, qtype: str, data: dict[str, Any], raw: Any) -> Any:
    """The response as the bank's ids; InvalidResponse for a value that is no token of
    this question of this paper."""
    question_type = get_type(qtype)
    tokens = part_tokens(secret, item_id, qtype, data)
    if not tokens:
        return raw
    return question_type.untokenized(raw, {token: part for part, token in tokens.items()})
