"""Messages students send us: stored once by the provider's id, opt-out keywords applied once.

A provider may call the same inbound webhook twice; a replayed STOP after a START must not
suppress the number again, so a keyword takes effect only when its message is new.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from campaigns.core.models import InboundMessage as StoredInbound
from campaigns.core.models import ReplyAttachment, Student, utcnow
from campaigns.tracking.delivery_events import storable
from campaigns.tracking.optouts import handle_keyword
from campaigns.tracking.suppressions import normalise_address
from channels.base import Channel
from channels.webhooks import InboundMessage

KEYWORD_REPLIES: Final[Mapping[str, str]] = {
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
"""What a student who sent STOP/İPTAL or START/BAŞLA is answered (Turkish first)."""


def reply_to(message: InboundMessage) -> str | None:
    """The product's answer to ``message``, if it needs one."""
    return KEYWORD_REPLIES.get(message.keyword) if message.keyword else None


def record_inbound(session: Session, message: InboundMessage) -> bool:
    """Store ``message`` unless it is stored already; apply its keyword if it is new.
    Whether it was new."""
    upsert = postgresql_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stored = session.scalar(
        upsert(StoredInbound)
        .values(
            provider=storable(message.provider, 40),
            provider_message_id=storable(message.provider_message_id, 100),
            channel=message.channel.value,
            address=storable(normalise_address(message.channel, message.from_address), 320),
            body=storable(message.body, 10_000),
            keyword=message.keyword,
            received_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["provider", "provider_message_id"])
        .returning(StoredInbound.id)
    )
    if stored is None:
        return False
    for attachment in message.attachments:
        session.add(
            ReplyAttachment(
                inbound_id=stored,
                filename=attachment.filename,
                content_type=attachment.content_type or "-",
                size=len(attachment.data),
                data=attachment.data if attachment.refused is None else None,
                refused=attachment.refused,
            )
        )
    student = _student_of(session, message.channel, message.from_address)
    if student is not None:
        session.execute(
            update(StoredInbound).where(StoredInbound.id == stored).values(student_id=student)
        )
    handle_keyword(session, message.channel, message.from_address, message.keyword)
    return True


def _student_of(session: Session, channel: Channel, address: str) -> int | None:
    """The student an address belongs to (the first, should two share one)."""
    normalised = normalise_address(channel, address)
    if channel is Channel.EMAIL:
        match = or_(
            func.lower(Student.email) == normalised,
            func.lower(Student.personal_email) == normalised,
        )
    else:
        match = Student.phone == normalised
    found: int | None = session.scalar(
        select(Student.id).where(match, Student.purged_at.is_(None)).order_by(Student.id).limit(1)
    )
    return found
