"""Students answer by every way they can, through the real receiving paths: WhatsApp and SMS
by Twilio's signed webhook, SMS in Netgsm's inbox (its SDK against the stand-in), email by
SendGrid's Inbound Parse and from the university's mailbox over IMAP (a real Dovecot). Each
reply reaches the inbox of its student's advisor, and only theirs."""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import httpx
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import InboundMessage, Role, utcnow
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.tracking.polling import poll_providers
from simulator.core import SimulatorConfig
from simulator.server import simulator_in_background
from tests.support import factories
from tests.support.http import client_for
from tests.support.imap_server import Dovecot
from tests.support.smtp_server import Inbox
from tests.support.web import ADVISOR, client_as

OTHER_ADVISOR = "deniz.oz@universite.example.edu.tr"
TWILIO_TOKEN = "twilio-test-auth-token"
INBOUND_KEY = "gelen-posta-anahtari"
MINE = {
    "whatsapp": "WhatsApp: formu nereye getireyim?",
    "twilio-sms": "SMS: kayıt sayfası açılmıyor",
    "netgsm": "Netgsm: şifre sıfırlama gelmedi",
    "inbound-parse": "E-posta: adımı yanlış yazmışım",
}
THEIRS = {"imap": "E-posta: mezuniyet töreni ne zaman?"}


def test_replies_from_every_channel_reach_their_advisors_inbox(
    db: Database, settings: Settings, smtp: tuple[Inbox, int], imap_server: Dovecot
) -> None:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        users.add_user(session, Actor.operator(), email=OTHER_ADVISOR, role=Role.ADVISOR)
        mine = factories.student(student_no="5001", first_name="Şule")
        theirs = factories.student(student_no="5002", advisor_email=OTHER_ADVISOR)
        session.add_all([mine, theirs])
    assert mine.phone is not None
    assert mine.email is not None
    assert theirs.personal_email is not None

    env = {"TWILIO_AUTH_TOKEN": TWILIO_TOKEN, "SENDGRID_INBOUND_KEY": INBOUND_KEY}
    with client_for(settings, env) as webhooks:
        for sid, sender, text in (
            ("SMw1", f"whatsapp:{mine.phone}", MINE["whatsapp"]),
            ("SMs1", mine.phone, MINE["twilio-sms"]),
        ):
            params = {"From": sender, "To": "+15005550006", "Body": text, "MessageSid": sid}
            url = f"{settings.public_url}/webhooks/twilio/inbound"
            signature = RequestValidator(TWILIO_TOKEN).compute_signature(url, params)
            answer = webhooks.post(
                "/webhooks/twilio/inbound", data=params, headers={"X-Twilio-Signature": signature}
            )
            assert answer.status_code == 200
        parsed = webhooks.post(
            f"/webhooks/sendgrid/inbound?key={INBOUND_KEY}",
            data={
                "from": f"Şule <{mine.email.upper()}>",
                "subject": "Re: Mezun Bilgi Sistemi",
                "text": MINE["inbound-parse"],
                "headers": "Message-ID: <ip1@example.com>\n",
            },
            files=[("attachment1", ("form.pdf", b"%PDF-1.4", "application/pdf"))],
        )
        assert parsed.status_code == 200

    mailbox = "mezunofisi-her-kanal"
    email = EmailMessage()
    email["From"], email["Subject"] = theirs.personal_email, "Tören"
    email["Message-ID"] = "<imap1@example.com>"
    email.set_content(THEIRS["imap"])
    imap_server.deliver(mailbox, bytes(email), at=utcnow() - timedelta(minutes=1))
    config = SimulatorConfig()
    with simulator_in_background(config) as sim:
        httpx.post(
            f"{sim.url}/_simulator/netgsm/inbox",
            json={"sender": mine.phone, "message": MINE["netgsm"]},
            timeout=5,
        )
        pool = AdapterPool(
            settings.model_copy(update={"sms_adapter": "netgsm", "email_adapter": "smtp"}),
            env={
                "NETGSM_USERNAME": config.netgsm_username,
                "NETGSM_PASSWORD": config.netgsm_password,
                "NETGSM_MSGHEADER": config.netgsm_msgheader,
                "NETGSM_API_URL": sim.url,
                "CAMPAIGNS_SMTP_URL": f"smtp://127.0.0.1:{smtp[1]}?starttls=off",
                "CAMPAIGNS_IMAP_URL": imap_server.url(mailbox),
            },
        )
        try:
            assert poll_providers(db, pool, now=utcnow()).replies == 2
        finally:
            pool.close()

    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 5
        unmatched = session.scalar(select(func.count()).where(InboundMessage.student_id.is_(None)))
    assert unmatched == 0
    for advisor, wanted, unwanted in ((ADVISOR, MINE, THEIRS), (OTHER_ADVISOR, THEIRS, MINE)):
        client = client_as(settings, advisor)
        try:
            page = client.get("/yanitlar").text
        finally:
            client.__exit__(None, None, None)
        assert f"Yeni ({len(wanted)})" in page
        for text in wanted.values():
            assert text in page
        for text in unwanted.values():
            assert text not in page
