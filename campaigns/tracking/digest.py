"""The daily digest: once a day, from 08:00 on the service's clock, every user whose
students wrote new replies since the last digest gets one email saying how many, with the
link to the inbox (no student's words or addresses in it)."""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta
from typing import Final

from sqlalchemy import func, select

from campaigns.access.scopes import student_condition
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import InboundMessage, Role, Student, User
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.planning.heartbeats import beat, last_beat
from channels.base import Channel, ConfigurationError, DeliveryError, OutboundMessage

log = logging.getLogger(__name__)

DIGEST: Final = "digest"
SENT_FROM: Final = time(8)


def send_digests(db: Database, adapters: AdapterPool, settings: Settings, now: datetime) -> int:
    """Send today's digests if they are due and not sent yet; how many went."""
    local = now.astimezone(settings.zone)
    if local.time() < SENT_FROM:
        return 0
    with db.session() as session:
        last = last_beat(session, DIGEST)
    if last is not None and last.astimezone(settings.zone).date() == local.date():
        return 0
    since = last or now - timedelta(days=1)
    with db.session() as session:
        people = session.scalars(
            select(User).where(User.revoked_at.is_(None), User.role != Role.DESK)
        ).all()
        due = []
        for user in people:
            actor = Actor.of(user)
            count = session.scalar(
                select(func.count())
                .select_from(InboundMessage)
                .join(Student, Student.id == InboundMessage.student_id)
                .where(
                    student_condition(session, actor),
                    InboundMessage.keyword.is_(None),
                    InboundMessage.state == "new",
                    InboundMessage.received_at > since,
                )
            )
            if count:
                due.append((user.email, int(count)))
    sent = 0
    for address, count in due:
        if _send(adapters, settings, address, count):
            sent += 1
    db.run(lambda session: beat(session, DIGEST, now, {"sent": sent}))
    if sent:
        log.info("reply digests sent: %d", sent)
    return sent


def _send(adapters: AdapterPool, settings: Settings, address: str, count: int) -> bool:
    link = f"{settings.public_url}/yanitlar"
    message = OutboundMessage(
        id=0,
        channel=Channel.EMAIL,
        to=address,
        subject=f"{count} yeni öğrenci yanıtı / {count} new student replies",
        text=(
            f"Öğrencilerinizden {count} yeni yanıt var. Okumak ve yanıtlamak için: {link}\n\n"
            f"Your students sent {count} new replies. To read and answer them: {link}\n"
        ),
    )
    try:
        adapters.send_one(message)
    except (ConfigurationError, DeliveryError) as exc:
        log.warning("reply digest not sent: %s", type(exc).__name__)
        return False
    return True
