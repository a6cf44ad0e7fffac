"""Asking providers that call nobody back (Netgsm): the statuses of messages still on their
way, and the replies in their inbox. Run on the scheduler's tick; the provider is asked
outside any transaction, and its answers are recorded like webhooks' (the same events, the
same forward-only statuses, replies stored once, opt-out keywords applied once)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.planning.heartbeats import beat, last_beat
from campaigns.tracking.delivery_events import record_events
from campaigns.tracking.inbound import record_inbound, reply_to
from channels.base import (
    Capability,
    ChannelAdapter,
    ConfigurationError,
    DeliveryError,
    OutboundMessage,
    Polled,
)
from channels.webhooks import InboundMessage

log = logging.getLogger(__name__)

STATUS_WINDOW: Final = timedelta(days=3)
"""Messages sent longer ago than this are not asked about any more (the operator's report
keeps a few days)."""
MAX_POLLED: Final = 2000
INBOX_OVERLAP: Final = timedelta(minutes=5)
FIRST_READ: Final = timedelta(days=1)
"""How far back the first read of an inbox goes."""


@dataclass(slots=True)
class PollReport:
    statuses: int = 0
    replies: int = 0


def inbox_beat(adapter_name: str) -> str:
    return f"inbox:{adapter_name}"


def poll_providers(db: Database, adapters: AdapterPool, *, now: datetime) -> PollReport:
    """One round of asking every adapter that is asked rather than calling back."""
    report = PollReport()
    for name, adapter in adapters.with_capability(Capability.POLLED_STATUSES).items():
        report.statuses += _poll_statuses(db, name, adapter, now)
    for name, adapter in adapters.with_capability(Capability.POLLED_INBOUND).items():
        report.replies += _poll_inbox(db, adapters, name, adapter, now)
    if report.statuses or report.replies:
        log.info("providers polled: %d statuses, %d new replies", report.statuses, report.replies)
    return report


def _poll_statuses(db: Database, name: str, adapter: ChannelAdapter, now: datetime) -> int:
    """The statuses of ``name``'s messages still on their way, recorded; how many."""
    with db.session() as session:
        rows = session.execute(
            select(Message.provider_message_id, Message.sent_at)
            .where(
                Message.provider == name,
                Message.status == MessageStatus.SENT,
                Message.provider_message_id.is_not(None),
                Message.sent_at > now - STATUS_WINDOW,
            )
            .order_by(Message.sent_at)
            .limit(MAX_POLLED)
        ).all()
    polled = [Polled(pid, sent) for pid, sent in rows if pid and sent]
    events = adapter.poll_statuses(polled) if polled else []
    if events:
        db.run(lambda session: record_events(session, events))
    return len(events)


def _poll_inbox(
    db: Database, adapters: AdapterPool, name: str, adapter: ChannelAdapter, now: datetime
) -> int:
    """The replies in ``name``'s inbox since the last read (windows overlap: each reply is
    stored once), recorded; how many were new."""
    with db.session() as session:
        since = last_beat(session, inbox_beat(name))
    try:
        replies = adapter.poll_inbound((since - INBOX_OVERLAP) if since else now - FIRST_READ, now)
    except (ConfigurationError, DeliveryError) as exc:
        # Not marked as read: the next poll asks again from the same point.
        log.warning("inbox of %s not read: %s: %s", name, type(exc).__name__, exc)
        return 0

    def record(session: Session) -> list[InboundMessage]:
        new = [reply for reply in replies if record_inbound(session, reply)]
        beat(session, inbox_beat(name), now)
        return new

    new = db.run(record)
    # A webhook answers an opt-out in its response; a polled one is answered by a message.
    for reply in new:
        text = reply_to(reply)
        if text is None:
            continue
        message = OutboundMessage(id=0, channel=reply.channel, to=reply.from_address, text=text)
        try:
            adapters.send_one(message, provider=name)
        except (ConfigurationError, DeliveryError) as exc:
            log.warning("opt-out acknowledgement not sent: %s", type(exc).__name__)
    return len(new)
