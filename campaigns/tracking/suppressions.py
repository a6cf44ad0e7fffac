"""Addresses that must not be contacted on a channel: opt-outs, hard bounces, complaints."""

from __future__ import annotations

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from campaigns.core.models import Suppression, utcnow
from channels.base import Channel

MAX_ADDRESS_LENGTH = 320  # RFC 5321's longest email address; numbers are far shorter


def normalise_address(channel: Channel, address: str) -> str:
    """Suppressions compare email addresses case-insensitively, numbers as E.164."""
    address = address.strip()
    if channel is Channel.EMAIL:
        return address.lower()
    return address.removeprefix("whatsapp:")


def suppress(
    session: Session, channel: Channel, address: str, *, reason: str, source: str = "provider"
) -> None:
    """Add a suppression; an existing one for the same address is kept as it is. Text that
    cannot be an address (too long for any, or holding NUL) is ignored: it matches nobody."""
    key = normalise_address(channel, address)
    if len(key) > MAX_ADDRESS_LENGTH or "\x00" in key:
        return
    upsert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        upsert(Suppression)
        .values(
            channel=channel.value,
            address=key,
            reason=reason[:40],
            source=source[:40],
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["channel", "address"])
    )
