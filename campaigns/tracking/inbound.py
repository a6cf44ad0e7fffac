"""Messages students send us: stored once by the provider's id, opt-out keywords applied once.

A provider may call the same inbound webhook twice; a replayed STOP after a START must not
suppress the number again, so a keyword takes effect only when its message is new.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from campaigns.core.models import InboundMessage, utcnow
from campaigns.tracking.delivery_events import storable
from campaigns.tracking.optouts import handle_keyword
from campaigns.tracking.suppressions import normalise_address
from channels.base import Channel


@dataclass(frozen=True, slots=True)
class Inbound:
    """One inbound message as a provider reported it."""

    provider: str
    provider_message_id: str
    channel: Channel
    address: str
    body: str
    keyword: str | None = None


def record_inbound(session: Session, message: Inbound) -> bool:
    """Store ``message`` unless it is stored already; apply its keyword if it is new.
    Whether it was new."""
    upsert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stored = session.scalar(
        upsert(InboundMessage)
        .values(
            provider=storable(message.provider, 40),
            provider_message_id=storable(message.provider_message_id, 100),
            channel=message.channel.value,
            address=storable(normalise_address(message.channel, message.address), 320),
            body=storable(message.body, 10_000),
            keyword=message.keyword,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["provider", "provider_message_id"])
        .returning(InboundMessage.id)
    )
    if stored is None:
        return False
    handle_keyword(session, message.channel, message.address, message.keyword)
    return True
