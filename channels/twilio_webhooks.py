"""What Twilio calls us with: signed status callbacks and inbound messages (parsing only).

Verify every request with ``verify_signature`` before trusting it, using the URL exactly as
Twilio called it (scheme, host and port as seen from outside a reverse proxy, query string
included).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from xml.sax.saxutils import escape

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from channels.base import MAX_MESSAGE_ID, Channel, DeliveryEvent, EventType

PROVIDER = "twilio"
WHATSAPP_PREFIX = "whatsapp:"

Keyword = Literal["stop", "start"]
_MESSAGE_ID = re.compile(r"[0-9]{1,19}")

STATUS_EVENTS: Mapping[str, EventType] = {
    "queued": EventType.ACCEPTED,
    "accepted": EventType.ACCEPTED,
    "scheduled": EventType.ACCEPTED,
    "sending": EventType.SENT,
    "sent": EventType.SENT,
    "delivered": EventType.DELIVERED,
    "read": EventType.READ,
    "undelivered": EventType.UNDELIVERED,
    "failed": EventType.FAILED,
    "canceled": EventType.FAILED,
}

# The delivery error codes a campaign report is likely to show.
ERROR_DESCRIPTIONS: Mapping[str, str] = {
    "30003": "unreachable destination handset",
    "30004": "message blocked",
    "30005": "unknown destination handset",
    "30006": "landline or unreachable carrier",
    "30007": "filtered as spam",
    "30008": "unknown error",
    "63016": "WhatsApp message outside the 24-hour window without a template",
}

STOP_KEYWORDS = frozenset(
    {"stop", "iptal", "dur", "unsubscribe", "cancel", "end", "quit", "stopall"}
)
START_KEYWORDS = frozenset({"start", "basla", "unstop", "yes"})

REPLIES: Mapping[str, str] = {
    "stop": (
        "Mezun kampanyası mesajları artık size gönderilmeyecek. Yeniden almak için BAŞLA "
        "yazın. / You will no longer receive alumni campaign messages. Reply START to "
        "receive them again."
    ),
    "start": (
        "Mezun kampanyası mesajlarını yeniden alacaksınız. Durdurmak için İPTAL yazın. / "
        "You will receive alumni campaign messages again. Reply STOP to stop them."
    ),
}


def verify_signature(
    auth_token: str, url: str, params: Mapping[str, str], signature: str | None
) -> bool:
    """Whether ``signature`` (the ``X-Twilio-Signature`` header) is Twilio's signature of
    ``url`` and the form ``params`` with ``auth_token``."""
    if not signature:
        return False
    # Fast path: the documented algorithm on the URL as given (how we told Twilio to call
    # us), a few microseconds; the SDK's validator (which also tries the URL with and
    # without its port, ten times slower) decides whenever that does not match.
    data = url + "".join(key + params[key] for key in sorted(params))
    digest = hmac.new(auth_token.encode(), data.encode(), hashlib.sha1).digest()
    if hmac.compare_digest(base64.b64encode(digest), signature.encode()):
        return True
    return bool(RequestValidator(auth_token).validate(url, dict(params), signature))


def parse_status_callback(params: Mapping[str, str], url_query: Mapping[str, str]) -> DeliveryEvent:
    """A status callback as a ``DeliveryEvent``; raises ``ValueError`` when it is malformed.

    Our message id comes from the ``m`` query parameter of the callback URL. Twilio callbacks
    carry no timestamp, so ``occurred_at`` is the time of parsing, and no event id: callers
    deduplicate on message and status (callbacks repeat and arrive out of order).
    """
    sid = (params.get("MessageSid") or "").strip()
    status = (params.get("MessageStatus") or "").strip().lower()
    if not sid or not status:
        raise ValueError("not a Twilio status callback: MessageSid or MessageStatus is missing")
    error_code = (params.get("ErrorCode") or "").strip() or None
    recipient = (params.get("To") or "").strip().removeprefix(WHATSAPP_PREFIX) or None
    return DeliveryEvent(
        type=STATUS_EVENTS.get(status, EventType.UNKNOWN),
        provider=PROVIDER,
        occurred_at=datetime.now(UTC),
        provider_message_id=sid,
        message_id=_message_id(url_query.get("m")),
        recipient=recipient,
        event_id=None,
        error_code=error_code,
        description=ERROR_DESCRIPTIONS.get(error_code or "") or params.get("ErrorMessage"),
        raw=dict(params),
    )


def _message_id(value: str | None) -> int | None:
    """Our id from the callback URL; ASCII digits within our id range, or not ours."""
    if value is None or not _MESSAGE_ID.fullmatch(value):
        return None
    number = int(value)
    return number if 0 < number <= MAX_MESSAGE_ID else None


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """A message a student sent us by SMS or WhatsApp."""

    channel: Channel
    from_number: str
    to_number: str
    body: str
    message_sid: str
    keyword: Keyword | None = None


def parse_inbound(params: Mapping[str, str]) -> InboundMessage:
    """An inbound-message webhook; raises ``ValueError`` when ``From`` or ``MessageSid`` (by
    which a replay is recognised) is missing."""
    sender = (params.get("From") or "").strip()
    sid = (params.get("MessageSid") or "").strip()
    if not sender or not sid:
        raise ValueError("not a Twilio inbound message: From or MessageSid is missing")
    channel = Channel.WHATSAPP if sender.startswith(WHATSAPP_PREFIX) else Channel.SMS
    body = params.get("Body") or ""
    return InboundMessage(
        channel=channel,
        from_number=sender.removeprefix(WHATSAPP_PREFIX),
        to_number=(params.get("To") or "").strip().removeprefix(WHATSAPP_PREFIX),
        body=body,
        message_sid=sid,
        keyword=keyword_of(body),
    )


def keyword_of(body: str) -> Keyword | None:
    """``"stop"`` or ``"start"`` when the whole message is an opt-out or opt-in keyword
    (any case, Turkish letters or their ASCII look-alikes: ``İPTAL``, ``iptal``, ``BASLA``)."""
    folded = _fold(body)
    if folded in STOP_KEYWORDS:
        return "stop"
    if folded in START_KEYWORDS:
        return "start"
    return None


def _fold(text: str) -> str:
    # Turkish casing first (İ → i, I → ı), then accents dropped and ı merged with i, so the
    # Turkish and the ASCII spelling of a keyword fold alike.
    lowered = text.strip().replace("İ", "i").replace("I", "ı").lower()
    bare = "".join(
        ch for ch in unicodedata.normalize("NFKD", lowered) if not unicodedata.combining(ch)
    )
    return bare.replace("ı", "i")


def reply_twiml(keyword: str | None, replies: Mapping[str, str] = REPLIES) -> str:
    """The TwiML answer to an inbound message: an acknowledgement of ``stop``/``start``
    (Turkish first, then English), an empty ``<Response/>`` otherwise."""
    text = replies.get(keyword) if keyword else None
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    if not text:
        return f"{head}<Response/>"
    return f"{head}<Response><Message>{escape(text)}</Message></Response>"
