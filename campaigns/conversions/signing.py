"""The alumni system's signed conversion webhook: HMAC-SHA256 over timestamp + raw body.

The sender puts the Unix time in ``X-Campaigns-Timestamp`` and
``hex(HMAC-SHA256(secret, timestamp + body))`` in ``X-Campaigns-Signature`` (optionally as
``sha256=<hex>``). Requests older or newer than five minutes are refused, so a captured
request cannot be replayed later; within the window a replay changes nothing anyway
(recording is idempotent).
"""

from __future__ import annotations

import hashlib
import hmac
import re

REPLAY_WINDOW_SECONDS = 300
TIMESTAMP_HEADER = "X-Campaigns-Timestamp"
SIGNATURE_HEADER = "X-Campaigns-Signature"
# ASCII digits only (``str.isdigit`` takes any script's digits) and a sane length (``int``
# refuses thousands of digits).
_TIMESTAMP = re.compile(r"[0-9]{1,12}")


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature of a request (what the alumni system computes)."""
    return hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str, now: float) -> bool:
    """Whether the request is genuine and fresh."""
    if not _TIMESTAMP.fullmatch(timestamp) or abs(now - int(timestamp)) > REPLAY_WINDOW_SECONDS:
        return False
    given = signature.removeprefix("sha256=").strip().lower()
    return hmac.compare_digest(sign(secret, timestamp, body), given)
