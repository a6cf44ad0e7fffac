"""The replies inbox: students' replies matched by address and routed by scope, assigned
and closed with one button, shown on the student's page; opt-outs and strangers are not
in it, another advisor's student's reply is a 404."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import AuditEntry, ReplyAttachment, Role, Student, utcnow
from campaigns.core.models import InboundMessage as Stored
from campaigns.core.settings import Settings
from campaigns.tracking.inbound import record_inbound
from channels.base import Channel
from channels.webhooks import Attachment, InboundMessage, keyword_of
from tests.support import factories
from tests.support.web import ADVISOR, client_as, csrf_of, last_email


def reply(pid: str, channel: Channel, sender: str, body: str) -> InboundMessage:
    return InboundMessage("test", pid, channel, sender, body, keyword_of(body))


@pytest.fixture
def advisor(db: Database, settings: Settings) -> Iterator[TestClient]:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        mine = factories.student(student_no="4001", first_name="Şule", last_name="Güneş")
        theirs = factories.student(student_no="4002", advisor_email="baska@example.edu.tr")
        session.add_all([mine, theirs])
        session.flush()
        for message in (
            reply("1", Channel.EMAIL, mine.email.upper(), "Şifre gelmedi, yardım eder misiniz?"),
            reply("2", Channel.SMS, mine.phone, "Formu nereye teslim edeceğim?"),
            reply("3", Channel.SMS, mine.phone, "İPTAL"),
            reply("4", Channel.SMS, theirs.phone, "Başka danışmanın öğrencisi"),
            reply("5", Channel.SMS, "+905559998877", "Tanımadığımız biri"),
        ):
            record_inbound(session, message)
    client = client_as(settings, ADVISOR)
    yield client
    client.__exit__(None, None, None)


def reply_id(db: Database, pid: str) -> int:
    with db.session() as session:
        return session.scalars(select(Stored.id).where(Stored.provider_message_id == pid)).one()


def test_the_inbox_holds_my_students_replies(advisor: TestClient, db: Database) -> None:
    page = advisor.get("/yanitlar")
    assert page.status_code == 200
    assert "Şifre gelmedi" in page.text
    assert "Formu nereye" in page.text
    assert "İPTAL" not in page.text.split("<table>")[1]
    assert "Başka danışmanın" not in page.text
    assert "Tanımadığımız" not in page.text
    assert "Yeni (2)" in page.text

    token = csrf_of(page.text)
    mine = reply_id(db, "1")
    assigned = advisor.post(
        f"/yanitlar/{mine}", data={"csrf_token": token, "state": "assigned", "back": "/yanitlar"}
    )
    assert assigned.status_code == 303
    taken = advisor.get("/yanitlar", params={"durum": "atanan"}).text
    assert "Şifre gelmedi" in taken
    assert f"{ADVISOR} kişisine atandı" in taken
    advisor.post(f"/yanitlar/{mine}", data={"csrf_token": token, "state": "done"})
    assert "Tamamlandı (1)" in advisor.get("/yanitlar").text

    student = advisor.get("/ogrenciler/4001").text
    assert "Yazdıkları" in student
    assert "Formu nereye teslim edeceğim?" in student


def test_another_advisors_students_reply_is_not_found(advisor: TestClient, db: Database) -> None:
    token = csrf_of(advisor.get("/yanitlar").text)
    theirs = reply_id(db, "4")
    refused = advisor.post(f"/yanitlar/{theirs}", data={"csrf_token": token, "state": "done"})
    assert refused.status_code == 404
    bad = advisor.post(f"/yanitlar/{reply_id(db, '1')}", data={"csrf_token": token, "state": "x"})
    assert bad.status_code == 404


def test_an_answer_goes_back_by_the_same_channel(
    advisor: TestClient, db: Database, settings: Settings
) -> None:
    token = csrf_of(advisor.get("/yanitlar").text)
    mine = reply_id(db, "1")  # by email
    sent = advisor.post(
        f"/yanitlar/{mine}/cevap",
        data={"csrf_token": token, "answer": "Şifreniz yeniden gönderildi, gelen kutunuza bakın."},
    )
    assert sent.status_code == 303
    message = last_email(settings.outbox_dir)
    with db.session() as session:
        student = session.scalars(select(Student).where(Student.student_no == "4001")).one()
        stored = session.get(Stored, mine)
        assert stored is not None
        assert (stored.state, stored.answered_by) == ("done", ADVISOR)
    assert message["To"] == student.email
    assert "yeniden gönderildi" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    done = advisor.get("/yanitlar", params={"durum": "biten"}).text
    assert f"{ADVISOR} yanıtladı:" in done
    empty = advisor.post(
        f"/yanitlar/{reply_id(db, '2')}/cevap", data={"csrf_token": token, "answer": " "}
    )
    assert empty.status_code == 422


def whatsapp_reply(db: Database, pid: str, hours_ago: float) -> int:
    """A WhatsApp reply of Şule's, received ``hours_ago``."""
    with db.session() as session:
        student = session.scalars(select(Student).where(Student.student_no == "4001")).one()
        record_inbound(session, reply(pid, Channel.WHATSAPP, student.phone, f"Merhaba {pid}"))
        session.execute(
            update(Stored)
            .where(Stored.provider_message_id == pid)
            .values(received_at=utcnow() - timedelta(hours=hours_ago))
        )
    return reply_id(db, pid)


def test_whatsapp_takes_free_text_only_within_a_day(advisor: TestClient, db: Database) -> None:
    late = whatsapp_reply(db, "w1", 25)
    page = advisor.get("/yanitlar").text
    assert "WhatsApp&#39;ta 24 saat geçti" in page
    assert "CAMPAIGNS_WHATSAPP_ANSWER_SID" in page  # no template set: the page says who sets it
    token = csrf_of(page)
    refused = advisor.post(f"/yanitlar/{late}/cevap", data={"csrf_token": token, "answer": "Hi"})
    assert refused.status_code == 422
    assert "onaylı şablon" in refused.text
    no_template = advisor.post(f"/yanitlar/{late}/sablon", data={"csrf_token": token})
    assert no_template.status_code == 422
    assert "CAMPAIGNS_WHATSAPP_ANSWER_SID" in no_template.text


def test_the_24_hours_run_from_the_students_latest_message(
    advisor: TestClient, db: Database, settings: Settings
) -> None:
    older = whatsapp_reply(db, "w1", 30)
    whatsapp_reply(db, "w2", 1)  # the student wrote again an hour ago
    token = csrf_of(advisor.get("/yanitlar").text)
    sent = advisor.post(
        f"/yanitlar/{older}/cevap", data={"csrf_token": token, "answer": "Form Öğrenci İşlerinde."}
    )
    assert sent.status_code == 303
    answer = json.loads((settings.outbox_dir / "whatsapp" / "0.json").read_text())
    assert (answer["body"], answer["template"]) == ("Form Öğrenci İşlerinde.", None)


def test_after_a_day_the_approved_template_answers(db: Database, settings: Settings) -> None:
    with_template = settings.model_copy(update={"whatsapp_answer_sid": "HXcevap"})
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        session.add(factories.student(student_no="4001", first_name="Ayşe Nur"))
    late = whatsapp_reply(db, "w1", 25)
    client = client_as(with_template, ADVISOR)
    try:
        page = client.get("/yanitlar").text
        assert "Merhaba Ayşe Nur, mezun ofisi mesajınızı yanıtladı" in page
        assert "Onaylı şablonu gönder" in page
        assert f'action="/yanitlar/{late}/cevap"' not in page  # no free text offered
        sent = client.post(f"/yanitlar/{late}/sablon", data={"csrf_token": csrf_of(page)})
        assert sent.status_code == 303
    finally:
        client.__exit__(None, None, None)
    message = json.loads((settings.outbox_dir / "whatsapp" / "0.json").read_text())
    assert message["template"] == {"id": "HXcevap", "variables": {"1": "Ayşe Nur"}}
    with db.session() as session:
        stored = session.get(Stored, late)
        assert stored is not None
        assert (stored.state, stored.answered_by) == ("done", ADVISOR)
        assert (stored.answer or "").startswith("Merhaba Ayşe Nur, mezun ofisi")
        audited = session.scalars(select(AuditEntry.action)).all()
    assert "reply.answer" in audited


def test_within_the_day_the_template_is_refused(db: Database, settings: Settings) -> None:
    with_template = settings.model_copy(update={"whatsapp_answer_sid": "HXcevap"})
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        session.add(factories.student(student_no="4001"))
    fresh = whatsapp_reply(db, "w1", 2)
    client = client_as(with_template, ADVISOR)
    try:
        token = csrf_of(client.get("/yanitlar").text)
        refused = client.post(f"/yanitlar/{fresh}/sablon", data={"csrf_token": token})
    finally:
        client.__exit__(None, None, None)
    assert refused.status_code == 422
    assert "serbest metinle yanıtlayın" in refused.text


def test_a_kept_file_downloads_and_never_shows_inline(advisor: TestClient, db: Database) -> None:
    with db.session() as session:
        student = session.scalars(select(Student).where(Student.student_no == "4001")).one()
        record_inbound(
            session,
            InboundMessage(
                "test",
                "f1",
                Channel.EMAIL,
                student.email or "",
                "Formum ekte.",
                attachments=(
                    Attachment("üyelik formu.pdf", "application/pdf", b"%PDF-1.4"),
                    Attachment("x.html", "", refused="PDF, PNG ya da JPEG değil"),
                ),
            ),
        )
        file_id = session.scalars(
            select(ReplyAttachment.id).where(ReplyAttachment.refused.is_(None))
        ).one()
    page = advisor.get("/yanitlar").text
    reply = reply_id(db, "f1")
    assert f'href="/yanitlar/{reply}/ek/{file_id}">üyelik formu.pdf</a>' in page
    assert "x.html saklanmadı" in page
    download = advisor.get(f"/yanitlar/{reply}/ek/{file_id}")
    assert download.content == b"%PDF-1.4"
    assert download.headers["content-disposition"].startswith("attachment;")
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-security-policy"] == "sandbox"
    assert advisor.get(f"/yanitlar/{reply}/ek/{file_id + 1}").status_code == 404
    assert advisor.get(f"/yanitlar/{reply_id(db, '4')}/ek/{file_id}").status_code == 404
