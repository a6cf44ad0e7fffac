"""SendGrid's signed Event Webhook: check the signature, normalise the events.

SendGrid posts a JSON array of events, signed with ECDSA (P-256, SHA-256) over
``timestamp + raw body``; the public key is shown base64 (DER) in its mail settings. Verify the
body exactly as received, before parsing it: re-serialised JSON would not match. Events can
arrive late, out of order and more than once (dedupe on ``event_id``, SendGrid's
``sg_event_id``). Our own message id comes back as the ``message_id`` custom argument.
"""

from __future__ import annotations

import binascii
import functools
import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, Self

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import ec
from sendgrid.helpers.eventwebhook import (  # type: ignore[import-untyped, unused-ignore]
    EventWebhook,
)

from channels.base import MAX_MESSAGE_ID, ConfigurationError, DeliveryEvent, EventType
from channels.webhooks import (
    InboundMessage,
    Received,
    RejectReason,
    Reply,
    WebhookReceiver,
    WebhookRejected,
    WebhookRequest,
    required_secret,
)

PROVIDER = "sendgrid"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"

EVENT_TYPES: dict[str, EventType] = {
    "processed": EventType.ACCEPTED,
    "delivered": EventType.DELIVERED,
    "deferred": EventType.DEFERRED,
    "bounce": EventType.BOUNCED,
    "dropped": EventType.FAILED,
    "open": EventType.OPENED,
    "click": EventType.CLICKED,
    "spamreport": EventType.COMPLAINED,
    "unsubscribe": EventType.UNSUBSCRIBED,
    "group_unsubscribe": EventType.UNSUBSCRIBED,
    "group_resubscribe": EventType.RESUBSCRIBED,
}

_MESSAGE_ID = re.compile(r"[0-9]{1,19}")
_TIMESTAMP = re.compile(r"[0-9]{1,12}")
# SendGrid signs each post as it sends it; ten minutes allow for clocks that differ.
MAX_AGE_SECONDS = 600


@functools.lru_cache(maxsize=8)
def _verifier(public_key_base64: str) -> Any:
    try:
        verifier = EventWebhook(public_key_base64.strip())
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        raise ConfigurationError(f"not a SendGrid verification key: {exc}") from exc
    if not isinstance(verifier.public_key, ec.EllipticCurvePublicKey):
        raise ConfigurationError("the SendGrid verification key is not an elliptic curve key")
    return verifier


def verify_signature(
    public_key_base64: str, raw_body: bytes, signature: str, timestamp: str
) -> bool:
    """True when ``signature`` (the ``X-Twilio-Email-Event-Webhook-Signature`` header) signs
    ``timestamp`` (``X-Twilio-Email-Event-Webhook-Timestamp``) followed by ``raw_body``.

    A malformed signature or a body that is not UTF-8 gives False; a malformed public key is a
    ConfigurationError.
    """
    verifier = _verifier(public_key_base64)
    try:
        # The SDK takes text and encodes it back to UTF-8: the bytes verified are the raw body.
        return bool(verifier.verify_signature(raw_body.decode("utf-8"), signature, timestamp))
    except (binascii.Error, ValueError):
        return False


def is_fresh(timestamp: str, now: float, max_age: float = MAX_AGE_SECONDS) -> bool:
    """Whether a signed post's timestamp (ASCII seconds) is within ``max_age`` of ``now``: a
    genuine post captured on the way cannot be replayed later."""
    return bool(_TIMESTAMP.fullmatch(timestamp)) and abs(now - int(timestamp)) <= max_age


def parse_events(raw_body: bytes) -> list[DeliveryEvent]:
    """The events of one webhook post, in the order received.

    Raises ValueError when the body is not a JSON array of objects or an event lacks ``event``
    or ``timestamp`` (the message names the event's index).
    """
    try:
        data = json.loads(raw_body)
    except ValueError as exc:
        raise ValueError(f"SendGrid event body is not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise ValueError("SendGrid event body is not a JSON array")
    return [_event(index, item) for index, item in enumerate(data)]


def _event(index: int, item: object) -> DeliveryEvent:
    if not isinstance(item, dict):
        raise ValueError(f"SendGrid event {index} is not an object")
    name = item.get("event")
    if not isinstance(name, str) or not name:
        raise ValueError(f"SendGrid event {index} has no 'event'")
    occurred_at = _timestamp(index, item.get("timestamp"))
    if name == "bounce" and item.get("type") == "blocked":
        kind = EventType.FAILED
    else:
        kind = EVENT_TYPES.get(name, EventType.UNKNOWN)
    # "<X-Message-Id>.filterdrecv-…": the part before the first dot is what send() returned.
    sg_message_id = _text(item.get("sg_message_id")) or ""
    return DeliveryEvent(
        type=kind,
        provider=PROVIDER,
        occurred_at=occurred_at,
        provider_message_id=sg_message_id.partition(".")[0] or None,
        message_id=_message_id(item.get("message_id")),
        recipient=_text(item.get("email")),
        event_id=_text(item.get("sg_event_id")),
        error_code=_text(item.get("status")) or _text(item.get("type")),
        description=_text(item.get("reason")) or _text(item.get("response")),
        raw=item,
    )


def _timestamp(index: int, value: object) -> datetime:
    if value is None:
        raise ValueError(f"SendGrid event {index} has no 'timestamp'")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"SendGrid event {index} has an invalid 'timestamp': {value!r}")
    try:
        return datetime.fromtimestamp(float(value), UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"SendGrid event {index} has an invalid 'timestamp': {value!r}") from exc


def _message_id(value: object) -> int | None:
    """Our message id from the custom argument; anything that cannot be one of our ids (a
    negative or a too large number, other text) is not ours: the event stays unmatched."""
    if isinstance(value, str) and _MESSAGE_ID.fullmatch(value):
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_MESSAGE_ID:
        return value
    return None


def _text(value: object) -> str | None:
    if value is None or isinstance(value, Mapping | list | bool):
        return None
    text = str(value)
    return text or None


class SendGridEventReceiver(WebhookReceiver):
    """The Event Webhook: a batch of email events, verified on the raw body (never on
    re-serialised JSON) with ``SENDGRID_WEBHOOK_PUBLIC_KEY``; posts older than
    ``MAX_AGE_SECONDS`` are refused."""

    path = "sendgrid/events"

    def __init__(self, public_key_base64: str) -> None:
        _verifier(public_key_base64)  # a malformed key is a configuration problem now
        self.public_key = public_key_base64

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> Self:
        return cls(required_secret(env, "SENDGRID_WEBHOOK_PUBLIC_KEY"))

    def receive(self, request: WebhookRequest, now: float) -> Received:
        signature = request.headers.get(SIGNATURE_HEADER.lower(), "")
        timestamp = request.headers.get(TIMESTAMP_HEADER.lower(), "")
        if not is_fresh(timestamp, now):
            raise WebhookRejected(RejectReason.STALE, "the signed timestamp is missing or old")
        if not verify_signature(self.public_key, request.body, signature, timestamp):
            raise WebhookRejected(RejectReason.BAD_SIGNATURE, "not signed by SendGrid")
        try:
            return Received(events=parse_events(request.body))
        except ValueError as exc:
            raise WebhookRejected(RejectReason.MALFORMED, str(exc)) from None

    def reply(self, received: Received, texts: Mapping[InboundMessage, str]) -> Reply:
        return Reply(200, f"{len(received.events)} received")
