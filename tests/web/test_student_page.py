"""A student's page: who they are, how to reach them (masked), every message with its
timeline; another advisor's student is a 404 like a number that does not exist."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus, Role, utcnow
from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from campaigns.planning.plan_wave import plan_wave
from tests.support import factories
from tests.support.web import csrf_of, sign_in_through_pages

EMAIL = "kemal.isik@universite.example.edu.tr"


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    now = utcnow()
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=EMAIL, role=Role.ADVISOR)
        session.add(
            factories.student(
                student_no="7001",
                first_name="İpek",
                last_name="Işık",
                timezone="Europe/Berlin",
                commercial_consent=True,
            )
        )
        session.add(factories.student(student_no="7002", advisor_email="baska@example.edu.tr"))
        campaign = factories.campaign(session, [{"channels": ["sms"]}], now=now)
        campaign.scope_advisor = EMAIL  # a campaign the advisor may open
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
        session.execute(
            update(Message).values(status=MessageStatus.DELIVERED, sent_at=now, delivered_at=now)
        )
    with TestClient(
        create_app(settings), base_url="https://testserver", follow_redirects=False
    ) as client:
        sign_in_through_pages(client, settings.outbox_dir, EMAIL)
        yield client


def test_the_page_tells_the_students_story_in_turkish(client: TestClient, db: Database) -> None:
    page = client.get("/ogrenciler/7001")

    assert page.status_code == 200
    assert "<h1>İpek Işık</h1>" in page.text
    assert "Henüz Mezun Bilgi Sistemi&#39;ne kaydolmadı." in page.text
    assert "teslim edildi" in page.text
    assert "Ticari iletiler (İYS onayı): izinli" in page.text
    assert "Saat dilimi: Europe/Berlin" in page.text
    # Addresses are masked: the page never shows one whole.
    with db.session() as session:
        phone = session.scalars(select(Message.address).where(Message.address.is_not(None))).first()
    assert phone is not None
    assert phone not in page.text
    assert "7001@stu.universite.example.edu.tr" not in page.text
    assert "7…@stu.universite.example.edu.tr" in page.text


def test_another_advisors_student_is_not_found(client: TestClient) -> None:
    theirs, nobody = client.get("/ogrenciler/7002"), client.get("/ogrenciler/0000")
    assert theirs.status_code == nobody.status_code == 404
    assert theirs.text.replace("7002", "0000") == nobody.text
    assert "Öğrenci bulunamadı" in theirs.text


def test_an_advisor_reminds_the_student_once_a_day(client: TestClient, db: Database) -> None:
    page = client.get("/ogrenciler/7001")
    assert "Bu öğrenciye şimdi hatırlat" in page.text
    assert '<option value="1:wave-1">2019-2020 Mezunları — wave-1</option>' in page.text
    token = csrf_of(page.text)
    sent = client.post("/ogrenciler/7001/hatirlat", data={"csrf_token": token, "wave": "1:wave-1"})
    assert sent.status_code == 303
    assert "Hatırlatma yola çıktı" in client.get(sent.headers["location"]).text
    again = client.post("/ogrenciler/7001/hatirlat", data={"csrf_token": token, "wave": "1:wave-1"})
    assert "bugün zaten aldı" in client.get(again.headers["location"]).text
    with db.session() as session:
        pending = session.scalars(
            select(Message).where(Message.status == MessageStatus.PENDING)
        ).all()
    assert len(pending) == 1
    # Another advisor's student, or a wave that is not there: nothing.
    for number, wave in (("7002", "1:wave-1"), ("7001", "1:yok"), ("7001", "x")):
        refused = client.post(
            f"/ogrenciler/{number}/hatirlat", data={"csrf_token": token, "wave": wave}
        )
        assert refused.status_code == 404
    forged = client.post("/ogrenciler/7001/hatirlat", data={"csrf_token": "x", "wave": "1:wave-1"})
    assert forged.status_code == 403
