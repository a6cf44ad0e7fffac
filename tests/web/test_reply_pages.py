"""The replies inbox: students' replies matched by address and routed by scope, assigned
and closed with one button, shown on the student's page; opt-outs and strangers are not
in it, another advisor's student's reply is a 404."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import InboundMessage as Stored
from campaigns.core.models import ReplyAttachment, Role, Student, utcnow
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


def test_whatsapp_takes_free_text_only_within_a_day(advisor: TestClient, db: Database) -> None:
    with db.session() as session:
        student = session.scalars(select(Student).where(Student.student_no == "4001")).one()
        record_inbound(session, reply("w1", Channel.WHATSAPP, student.phone, "Merhaba"))
        session.execute(
            update(Stored)
            .where(Stored.provider_message_id == "w1")
            .values(received_at=utcnow() - timedelta(hours=25))
        )
    page = advisor.get("/yanitlar").text
    assert "WhatsApp&#39;ta 24 saat geçti" in page
    token = csrf_of(page)
    late = advisor.post(
        f"/yanitlar/{reply_id(db, 'w1')}/cevap", data={"csrf_token": token, "answer": "Merhaba"}
    )
    assert late.status_code == 422
    assert "onaylı şablon" in late.text


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
