"""Addresses that must not be contacted on a channel: opt-outs, hard bounces, complaints."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError
from campaigns.core.models import Suppression, utcnow
from campaigns.students.contact_details import normalise_email, normalise_phone
from channels.base import Channel

MAX_ADDRESS_LENGTH = 320  # RFC 5321's longest email address; numbers are far shorter


_ADMINS_ONLY = "engelleri Mezunlar Ofisi yönetir / the alumni office manages suppressions"


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


def lift(
    session: Session, channel: Channel, address: str, *, reasons: set[str] | None = None
) -> int:
    """Remove a suppression (all reasons, or only ``reasons``); returns how many went."""
    statement = delete(Suppression).where(
        Suppression.channel == channel, Suppression.address == normalise_address(channel, address)
    )
    if reasons is not None:
        statement = statement.where(Suppression.reason.in_(reasons))
    return int(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def listed(
    session: Session,
    channel: Channel | None = None,
    *,
    limit: int | None = None,
    offset: int = 0,
    newest_first: bool = False,
) -> Sequence[Suppression]:
    """Suppressions, oldest first (or newest), optionally of one channel, a page at a time."""
    order = Suppression.created_at.desc() if newest_first else Suppression.created_at
    query = select(Suppression).order_by(order, Suppression.id).offset(offset).limit(limit)
    if channel is not None:
        query = query.where(Suppression.channel == channel)
    return session.scalars(query).all()


def count(session: Session, channel: Channel | None = None) -> int:
    query = select(func.count()).select_from(Suppression)
    if channel is not None:
        query = query.where(Suppression.channel == channel)
    return session.scalar(query) or 0


def add_by_hand(
    session: Session, actor: Actor, channel: Channel, address: str, *, reason: str, key: str | None
) -> str:
    """Stop contacting an address someone asked about (by phone, at the desk); audited with a
    keyed fingerprint of the address (``key``), never the address. Returns it normalised.
    Administrators only."""
    actor.must_be_admin(_ADMINS_ONLY)
    normalised = _checked(channel, address)
    suppress(session, channel, normalised, reason=reason, source="manual")
    details = {**audit.fingerprint(normalised, key), "reason": reason}
    audit.record(
        session, actor.name, audit.SUPPRESSION_ADD, f"suppression:{channel.value}", details
    )
    return normalised


def remove_by_hand(
    session: Session, actor: Actor, channel: Channel, address: str, *, key: str | None
) -> None:
    """Allow contacting an address again, audited; ``CampaignsError`` if it was not
    suppressed. Administrators only."""
    actor.must_be_admin(_ADMINS_ONLY)
    normalised = _checked(channel, address)
    if not lift(session, channel, normalised):
        raise CampaignsError("bu adres engelli değil / that address is not suppressed")
    target = f"suppression:{channel.value}"
    audit.record(
        session, actor.name, audit.SUPPRESSION_REMOVE, target, audit.fingerprint(normalised, key)
    )


def _checked(channel: Channel, raw: str) -> str:
    if channel is Channel.EMAIL:
        checked = normalise_email(raw)
        if checked.value is None:
            raise CampaignsError(f"geçersiz e-posta / invalid email address: {raw!r}")
        return checked.value
    phone = normalise_phone(raw)
    if phone.number is None:
        raise CampaignsError(f"geçersiz telefon / invalid phone number: {raw!r}")
    return phone.number
