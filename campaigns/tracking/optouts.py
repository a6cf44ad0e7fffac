"""Opt-outs students make themselves: STOP/İPTAL replies, and the unsubscribe link of email."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from campaigns.core.models import Message, utcnow
from campaigns.tracking.delivery_events import record_events
from campaigns.tracking.links import parse_token, secret_matches
from campaigns.tracking.suppressions import lift, suppress
from channels.base import Channel, DeliveryEvent, EventType

STOP_REASON = "stop"
UNSUBSCRIBE_REASON = "unsubscribe"


def handle_keyword(session: Session, channel: Channel, number: str, keyword: str | None) -> None:
    """``stop`` suppresses the number on that channel; ``start`` lifts a STOP (never a
    suppression a person or a provider added)."""
    if keyword == "stop":
        suppress(session, channel, number, reason=STOP_REASON, source="inbound")
    elif keyword == "start":
        lift(session, channel, number, reasons={STOP_REASON})


@dataclass(frozen=True, slots=True)
class Unsubscribed:
    message_id: int
    channel: Channel


def message_for_token(session: Session, token: str) -> Message | None:
    """The message a public token names, if the token is genuine."""
    parsed = parse_token(token)
    if parsed is None:
        return None
    message = session.get(Message, parsed[0])
    if message is None or not secret_matches(message.secret, parsed[1]):
        return None
    return message


def unsubscribe(session: Session, token: str) -> Unsubscribed | None:
    """Suppress the address a message went to (one click, RFC 8058); idempotent."""
    message = message_for_token(session, token)
    if message is None or message.channel is None or message.address is None:
        return None
    suppress(session, message.channel, message.address, reason=UNSUBSCRIBE_REASON, source="link")
    record_events(
        session,
        [
            DeliveryEvent(
                type=EventType.UNSUBSCRIBED,
                provider="link",
                occurred_at=utcnow(),
                provider_message_id=None,
                message_id=message.id,
            )
        ],
    )
    return Unsubscribed(message.id, message.channel)
