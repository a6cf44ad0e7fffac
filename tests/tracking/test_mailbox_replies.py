"""A university that sends email through its own SMTP server reads replies from a mailbox
(a real Dovecot over IMAP): the scheduler's poll stores each reply once, matched to the
student, İPTAL suppresses the address and is acknowledged by email, and a mailbox that
cannot be read is read again from the same point next time."""

from __future__ import annotations

import itertools
from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import select

from campaigns.core.db import Database
from campaigns.core.models import InboundMessage, Student, Suppression, utcnow
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.planning.heartbeats import last_beat
from campaigns.tracking.polling import inbox_beat, poll_providers
from tests.support.imap_server import Dovecot
from tests.support.smtp_server import Inbox
from tests.support.waves import planned_wave

_mailboxes = itertools.count()


@pytest.fixture
def mailbox_user() -> str:
    return f"mezunofisi{next(_mailboxes)}"


def pool_for(settings: Settings, smtp_port: int, imap_url: str) -> AdapterPool:
    env = {
        "CAMPAIGNS_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}?starttls=off",
        "CAMPAIGNS_IMAP_URL": imap_url,
    }
    return AdapterPool(settings.model_copy(update={"email_adapter": "smtp"}), env=env)


@pytest.fixture
def student_email(db: Database) -> str:
    planned_wave(db, 1)
    with db.session() as session:
        address = session.scalars(select(Student.email)).one()
    assert address
    return address


def reply(sender: str, text: str, message_id: str) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "mezun@universite.example.edu.tr"
    message["Subject"] = "Re: Mezun Bilgi Sistemi"
    message["Message-ID"] = message_id
    message.set_content(text)
    return bytes(message)


def test_replies_reach_the_student_and_iptal_is_acknowledged_once(
    db: Database,
    settings: Settings,
    smtp: tuple[Inbox, int],
    imap_server: Dovecot,
    mailbox_user: str,
    student_email: str,
) -> None:
    sent, smtp_port = smtp
    now = utcnow()
    shouted = student_email.upper()  # mail programs keep whatever case people type
    imap_server.deliver(
        mailbox_user,
        reply(shouted, "Kayıt olamıyorum, yardım eder misiniz?", "<help@x>"),
        at=now - timedelta(minutes=3),
    )
    imap_server.deliver(
        mailbox_user, reply(shouted, "İPTAL", "<stop@x>"), at=now - timedelta(minutes=2)
    )
    pool = pool_for(settings, smtp_port, imap_server.url(mailbox_user))
    try:
        assert poll_providers(db, pool, now=now).replies == 2
        assert poll_providers(db, pool, now=now + timedelta(minutes=1)).replies == 0
    finally:
        pool.close()

    with db.session() as session:
        stored = session.execute(
            select(InboundMessage.provider, InboundMessage.body, InboundMessage.student_id)
        ).all()
        student_id = session.scalars(select(Student.id)).one()
        suppressed = session.scalars(select(Suppression.address)).all()
    assert sorted(stored) == [
        ("imap", "Kayıt olamıyorum, yardım eder misiniz?", student_id),
        ("imap", "İPTAL", student_id),
    ]
    assert suppressed == [student_email.lower()]
    (acknowledgement,) = sent.messages
    assert acknowledgement["To"] == shouted.lower()
    body = acknowledgement.get_body(("plain",))
    assert body is not None
    assert body.get_content().startswith("Mezun kampanyası mesajları artık")


def test_a_mailbox_that_cannot_be_read_is_read_again_from_the_same_point(
    db: Database,
    settings: Settings,
    smtp: tuple[Inbox, int],
    imap_server: Dovecot,
    mailbox_user: str,
    student_email: str,
) -> None:
    _, smtp_port = smtp
    good = pool_for(settings, smtp_port, imap_server.url(mailbox_user))
    refused = pool_for(
        settings, smtp_port, imap_server.url(mailbox_user).replace(":secret@", ":eski-parola@")
    )
    start = utcnow()
    try:
        assert poll_providers(db, good, now=start).replies == 0
        imap_server.deliver(
            mailbox_user,
            reply(student_email, "Formu teslim ettim.", "<form@x>"),
            at=start + timedelta(minutes=1),
        )
        # The password was changed: nothing is read, and the mailbox is not marked as read.
        assert poll_providers(db, refused, now=start + timedelta(minutes=20)).replies == 0
        with db.session() as session:
            assert last_beat(session, inbox_beat("smtp")) == start
        assert poll_providers(db, good, now=start + timedelta(minutes=40)).replies == 1
    finally:
        good.close()
        refused.close()
