"""SendGrid Inbound Parse: an emailed reply posted as multipart form data, behind the key in
the URL; stored once (by its Message-ID), an İPTAL on its first line suppresses the
address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from campaigns.core.db import Database
from campaigns.core.models import InboundMessage, ReplyAttachment, Suppression
from campaigns.core.settings import Settings
from campaigns.http.app import create_app

KEY = "gelen-posta-anahtari"


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    email = settings.model_copy(update={"email_adapter": "sendgrid"})
    env = {"SENDGRID_API_KEY": "SG.x", "SENDGRID_INBOUND_KEY": KEY}
    with TestClient(create_app(email, env)) as client:
        yield client


def posted(client: TestClient, key: str, text: str, message_id: str, *, headers: str = "") -> int:
    fields = {
        "from": "Şule Güneş <Sule.Gunes@Example.com>",
        "to": "mezun@universite.example.edu.tr",
        "subject": "Re: Mezun Bilgi Sistemi kaydı",
        "text": text,
        "html": "<p>ignored</p>",
        "headers": f"Message-ID: {message_id}\nSubject: Re: kayıt\n{headers}",
        "envelope": '{"to":["mezun@universite.example.edu.tr"],"from":"sule.gunes@example.com"}',
    }
    files = [
        ("attachment1", ("form.pdf", b"%PDF-1.4 uyelik formu", "application/pdf")),
        # Declared a PDF, but a web page: refused, never kept.
        ("attachment2", ("sahte.pdf", b"<html><script>alert(1)</script>", "application/pdf")),
    ]
    answer = client.post(f"/webhooks/sendgrid/inbound?key={key}", data=fields, files=files)
    return answer.status_code


def test_a_reply_is_stored_once_and_iptal_suppresses(client: TestClient, db: Database) -> None:
    assert posted(client, KEY, "Kayıt olamıyorum, şifre gelmedi.\n> eski mesaj", "<a@x>") == 200
    assert posted(client, KEY, "Kayıt olamıyorum, şifre gelmedi.\n> eski mesaj", "<a@x>") == 200
    assert posted(client, KEY, "İPTAL\n\n> Sayın Şule Güneş", "<b@x>") == 200
    with db.session() as session:
        stored = session.execute(
            select(InboundMessage.address, InboundMessage.body, InboundMessage.keyword).order_by(
                InboundMessage.id
            )
        ).all()
        suppressed = session.scalars(select(Suppression.address)).all()
    assert [(a, k) for a, _, k in stored] == [
        ("sule.gunes@example.com", None),
        ("sule.gunes@example.com", "stop"),
    ]
    assert stored[0][1].startswith("Kayıt olamıyorum")
    assert suppressed == ["sule.gunes@example.com"]
    with db.session() as session:
        kept = session.execute(
            select(
                ReplyAttachment.filename, ReplyAttachment.content_type, ReplyAttachment.data
            ).where(ReplyAttachment.refused.is_(None))
        ).all()
        refused = session.execute(
            select(ReplyAttachment.filename, ReplyAttachment.data, ReplyAttachment.refused).where(
                ReplyAttachment.refused.is_not(None)
            )
        ).all()
    # Each reply stored once, with its files once.
    assert [(n, t) for n, t, _ in kept] == [("form.pdf", "application/pdf")] * 2
    assert [(n, d) for n, d, _ in refused] == [("sahte.pdf", None)] * 2
    assert "PDF, PNG ya da JPEG değil" in refused[0][2]


def test_a_post_without_the_key_is_refused(client: TestClient, db: Database) -> None:
    assert posted(client, "yanlis", "İPTAL", "<c@x>") == 403
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0


def test_an_out_of_office_answer_is_not_a_reply(client: TestClient, db: Database) -> None:
    automatic = "Auto-Submitted: auto-replied\n"
    assert posted(client, KEY, "İzindeyim, 1 Temmuz'da dönerim.", "<o@x>", headers=automatic) == 200
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(InboundMessage)) == 0
