"""What Twilio calls us with: signed status callbacks and inbound messages, as receivers the
host mounts.

Every request is verified before it is trusted, on the URL exactly as Twilio called it
(scheme, host and port as seen from outside a reverse proxy, query string included).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Self
from urllib.parse import parse_qsl
from xml.sax.saxutils import escape

from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

from channels.base import MAX_MESSAGE_ID, Channel, DeliveryEvent, EventType
from channels.webhooks import (
    InboundMessage,
    Received,
    RejectReason,
    Reply,
    WebhookReceiver,
    WebhookRejected,
    WebhookRequest,
    keyword_of,
    required_secret,
)

PROVIDER = "twilio"
WHATSAPP_PREFIX = "whatsapp:"

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
        provider=PROVIDER,
        provider_message_id=sid,
        channel=channel,
        from_address=sender.removeprefix(WHATSAPP_PREFIX),
        body=body,
        keyword=keyword_of(body),
    )


def reply_twiml(text: str | None) -> str:
    """The TwiML answer to an inbound message: ``text`` as a reply, or an empty
    ``<Response/>``."""
    head = '<?xml version="1.0" encoding="UTF-8"?>'
    if not text:
        return f"{head}<Response/>"
    return f"{head}<Response><Message>{escape(text)}</Message></Response>"


class _TwilioReceiver(WebhookReceiver):
    """Twilio signs every callback with the account's auth token (``TWILIO_AUTH_TOKEN``)."""

    def __init__(self, auth_token: str) -> None:
        self.auth_token = auth_token

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(required_secret(env, "TWILIO_AUTH_TOKEN"))

    def _form(self, request: WebhookRequest) -> dict[str, str]:
        # Twilio posts url-encoded forms; parsed directly, which is several times cheaper
        # than a general form parser on this hot path.
        params = dict(parse_qsl(request.body.decode("utf-8", "replace"), keep_blank_values=True))
        signature = request.headers.get("x-twilio-signature", "")
        if not verify_signature(self.auth_token, request.url, params, signature):
            raise WebhookRejected(RejectReason.BAD_SIGNATURE, "not signed by Twilio")
        return params


class TwilioStatusReceiver(_TwilioReceiver):
    """Message status callbacks (sent, delivered, undelivered, read, …)."""

    path = "twilio/status"

    def receive(self, request: WebhookRequest, now: float) -> Received:
        try:
            event = parse_status_callback(self._form(request), request.query)
        except ValueError as exc:
            raise WebhookRejected(RejectReason.MALFORMED, str(exc)) from None
        return Received(events=[event])


class TwilioInboundReceiver(_TwilioReceiver):
    """Messages students send to our SMS or WhatsApp number; answered in TwiML."""

    path = "twilio/inbound"

    def receive(self, request: WebhookRequest, now: float) -> Received:
        try:
            inbound = parse_inbound(self._form(request))
        except ValueError as exc:
            raise WebhookRejected(RejectReason.MALFORMED, str(exc)) from None
        return Received(inbound=[inbound])

    def reply(self, received: Received, texts: Mapping[InboundMessage, str]) -> Reply:
        text = next((texts[m] for m in received.inbound if m in texts), None)
        return Reply(200, reply_twiml(text), "application/xml")
