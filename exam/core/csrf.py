"""CSRF protection: Flask-WTF's, with each session's token verified once per process.

Flask-WTF checks a token by deriving its key and verifying its signature on every POST, and
looks for it in the form first, which parses the body of a JSON call for nothing. The exam
page's autosave posts the same token every few seconds for hours: that was about a tenth of a
save's CPU. Here a token whose signature checked is kept (``_signed_value``), and a JSON call's
token is read from its header. What is checked is unchanged: a token is accepted only if its
signature is this application's and what it signs equals the session's token.

Only while tokens never expire (``WTF_CSRF_TIME_LIMIT = None``, config.py: the exam page keeps
its token for the whole sitting): a signature then checks the same at every call, so keeping the
result changes no answer. With a time limit, every call is checked by Flask-WTF as before.
"""

from __future__ import annotations

import functools
import hmac
import logging

from flask import current_app, g, request, session
from flask_wtf.csrf import CSRFProtect, same_origin, validate_csrf
from itsdangerous import BadData, URLSafeTimedSerializer
from wtforms import ValidationError

logger = logging.getLogger(__name__)

# Valid tokens kept per process: one per signed-in session (8,000 candidates on exam day);
# about 150 bytes each. A token that fails is never kept.
TOKENS_KEPT = 16_384
_SALT = "wtf-csrf-token"  # Flask-WTF's, so its tokens and ours are the same


@functools.lru_cache(maxsize=TOKENS_KEPT)
def _signed_value(secret_key: str | bytes, signed: str) -> object:
    """What ``signed`` signs under ``secret_key``; raises BadData when the signature is not
    this key's. Kept only when it returns (lru_cache keeps no exception)."""
    return URLSafeTimedSerializer(secret_key, salt=_SALT).loads(signed)


def _secret_key() -> str | bytes:
    key = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    if not key:
        raise RuntimeError("A secret key is required to use CSRF.")
    return key


def validate_token(signed: str | None) -> None:
    """Flask-WTF's ``validate_csrf`` (the same checks and messages), the signature verified
    once per process while tokens never expire. Raises ValidationError."""
    config = current_app.config
    if config["WTF_CSRF_TIME_LIMIT"] is not None:
        validate_csrf(signed)
        return
    field_name = config["WTF_CSRF_FIELD_NAME"]
    if not signed:
        raise ValidationError("The CSRF token is missing.")
    if field_name not in session:
        raise ValidationError("The CSRF session token is missing.")
    try:
        token = _signed_value(_secret_key(), signed)
    except BadData as error:
        raise ValidationError("The CSRF token is invalid.") from error
    if not isinstance(token, str) or not hmac.compare_digest(session[field_name], token):
        raise ValidationError("The CSRF tokens do not match.")


class KeptTokenCSRFProtect(CSRFProtect):
    """CSRFProtect checking tokens with ``validate_token``; a JSON call's token read from
    its header without parsing a form (a JSON body has none)."""

    def _get_csrf_token(self) -> str | None:
        if request.is_json:
            for header_name in current_app.config["WTF_CSRF_HEADERS"]:
                token = request.headers.get(header_name)
                if token:
                    return token
            return None
        return super()._get_csrf_token()

    def protect(self, apply_exemptions: bool = False) -> None:
        """Flask-WTF's ``protect``, with ``validate_token``."""
        if apply_exemptions and (not request.endpoint or self._is_exempt()):
            return
        if request.method not in current_app.config["WTF_CSRF_METHODS"]:
            return
        try:
            validate_token(self._get_csrf_token())
        except ValidationError as error:
            logger.info(error.args[0])
            self._error_response(error.args[0])
        if request.is_secure and current_app.config["WTF_CSRF_SSL_STRICT"]:
            if not request.referrer:
                self._error_response("The referrer header is missing.")
            if not same_origin(request.referrer, f"https://{request.host}/"):
                self._error_response("The referrer does not match the host.")
        g.csrf_valid = True  # forms then skip their own check, as with Flask-WTF's
