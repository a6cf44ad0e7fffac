"""The daily digest: from 08:00 on the service's clock, once a day, one email to each user
whose students sent new replies, with the count and the inbox's link only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Role
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.tracking.digest import send_digests
from campaigns.tracking.inbound import record_inbound
from channels.base import Channel
from channels.webhooks import InboundMessage
from tests.support import factories
from tests.support.adapters import RecordingAdapter

ADVISOR = "kemal.isik@universite.example.edu.tr"
OTHER = "baska@universite.example.edu.tr"
# 09:00 in Istanbul (UTC+3).
MORNING = datetime(2026, 12, 1, 6, 0, tzinfo=UTC)


def test_one_digest_a_day_to_those_with_new_replies(db: Database, settings: Settings) -> None:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        users.add_user(session, Actor.operator(), email=OTHER, role=Role.ADVISOR)
        student = factories.student(first_name="Şule")
        session.add(student)
        session.flush()
        record_inbound(
            session,
            InboundMessage("test", "r1", Channel.SMS, student.phone or "", "Şifrem gelmedi"),
        )
    adapter = RecordingAdapter()
    pool = AdapterPool(settings, dict.fromkeys(Channel, adapter))

    assert send_digests(db, pool, settings, MORNING - timedelta(hours=2)) == 0  # 07:00
    assert send_digests(db, pool, settings, MORNING) == 1
    assert send_digests(db, pool, settings, MORNING + timedelta(hours=3)) == 0  # same day
    [digest] = adapter.sent
    assert digest.to == ADVISOR
    assert digest.subject == "1 yeni öğrenci yanıtı / 1 new student replies"
    assert f"{settings.public_url}/yanitlar" in digest.text
    assert "Şule" not in digest.text
    assert "Şifrem" not in digest.text
    # The next morning: nothing new since, nothing sent.
    assert send_digests(db, pool, settings, MORNING + timedelta(days=1)) == 0
