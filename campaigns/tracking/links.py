"""Public message tokens and the link a message carries.

A token is the message id in base 36 followed by the message's 16-character random secret:
short enough for an SMS, unguessable (at least 64 random bits), free of personal data, and
resolved through the primary key.
"""

from __future__ import annotations

import hmac
import re

from campaigns.core.dialects import SECRET_LENGTH
from campaigns.core.settings import Settings
from channels.base import MAX_MESSAGE_ID

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
# 13 base-36 digits hold any BIGINT; the secret is URL-safe base64 (PostgreSQL) or hex
# (SQLite). Anything else (signs, spaces, underscores in the id, a longer id) is not a token.
_TOKEN = re.compile(rf"([0-9a-z]{{1,13}})([A-Za-z0-9_-]{{{SECRET_LENGTH}}})")


def message_token(message_id: int, secret: str) -> str:
    """The public token of a message."""
    digits = ""
    value = message_id
    while True:
        value, remainder = divmod(value, 36)
        digits = _DIGITS[remainder] + digits
        if not value:
            return digits + secret


def parse_token(token: str) -> tuple[int, str] | None:
    """``(message id, secret)`` of a well-formed token, or None: the grammar and the id's
    range are checked here, at the edge, so a malformed token never reaches a query."""
    match = _TOKEN.fullmatch(token)
    if match is None:
        return None
    message_id = int(match[1], 36)
    return (message_id, match[2]) if message_id <= MAX_MESSAGE_ID else None


def secret_matches(stored: str | None, given: str) -> bool:
    """Constant-time comparison, so response times do not leak the secret."""
    return stored is not None and hmac.compare_digest(stored.encode(), given.encode())


def message_link(settings: Settings, goal_url: str, message_id: int, secret: str | None) -> str:
    """The URL a student follows from a message: their personal tracked link, which records
    the click and redirects to ``goal_url``."""
    if secret is None:
        return goal_url
    return f"{settings.public_url}/r/{message_token(message_id, secret)}"
