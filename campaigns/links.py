"""Public message tokens and the link a message carries.

A token is the message id in base 36 followed by the message's 16-character random secret:
short enough for an SMS, unguessable (at least 64 random bits), free of personal data, and
resolved through the primary key.
"""

from __future__ import annotations

import hmac

from campaigns.settings import Settings
from campaigns.sql import SECRET_LENGTH

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
MAX_ID = 2**63  # a BIGINT


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
    """``(message id, secret)`` of a well-formed token, or None."""
    head, secret = token[:-SECRET_LENGTH], token[-SECRET_LENGTH:]
    if not head or len(secret) != SECRET_LENGTH or len(token) > 40:
        return None
    try:
        message_id = int(head, 36)
    except ValueError:
        return None
    return (message_id, secret) if message_id < MAX_ID else None


def secret_matches(stored: str | None, given: str) -> bool:
    """Constant-time comparison, so response times do not leak the secret."""
    return stored is not None and hmac.compare_digest(stored.encode(), given.encode())


def message_link(settings: Settings, goal_url: str, message_id: int, secret: str | None) -> str:
    """The URL a student follows from a message: their personal tracked link, which records
    the click and redirects to ``goal_url``."""
    if secret is None:
        return goal_url
    return f"{settings.public_url}/r/{message_token(message_id, secret)}"
