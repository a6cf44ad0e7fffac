"""A wave previewed for a chosen student, the SMS counter, and "send a test to me": the
test reaches the signed-in user's own address, never the student's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Role
from campaigns.core.settings import Settings
from campaigns.definitions.drafts import create
from tests.support import factories
from tests.support.web import client_as, csrf_of, last_email

ADVISOR = "kemal.isik@universite.example.edu.tr"
DEFINITION = {
    "name": "Kayıt hatırlatması",
    "audience": {"graduation_terms": ["2019-2020 Bahar"]},
    "send_window": "09:00-20:00",
    "goal_url": "https://mezun.universite.example.edu.tr/kayit",
    "waves": [
        {
            "name": "hatırlatma",
            "offset": "0s",
            "channels": ["email", "sms"],
            "template": "registration_reminder",
        }
    ],
}


@pytest.fixture
def preview(db: Database, settings: Settings) -> Iterator[tuple[TestClient, str]]:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        session.add(factories.student(student_no="8001", first_name="Şule", last_name="Güneş"))
        session.add(factories.student(student_no="8002", first_name="Ilgın", last_name="Çelik"))
        session.flush()
        advisor = Actor.of(users.get_user(session, ADVISOR))
        campaign_id = create(session, advisor, DEFINITION, settings=settings).id
    client = client_as(settings, ADVISOR)
    yield client, f"/kampanyalar/{campaign_id}/dalgalar/hat%C4%B1rlatma"
    client.__exit__(None, None, None)


def test_every_part_is_shown_for_the_chosen_student(preview: tuple[TestClient, str]) -> None:
    client, path = preview
    page = client.get(path, params={"ogrenci": "8002"})
    assert page.status_code == 200
    assert "<h1>Önizleme: hatırlatma</h1>" in page.text
    assert ">Ilgın Çelik</a>" in page.text
    assert "Konu" in page.text
    # The HTML email is shown in a sandboxed frame, its markup escaped into ``srcdoc``.
    assert '<iframe class="email-html" sandbox' in page.text
    assert 'srcdoc="&lt;' in page.text
    # The SMS text has Turkish letters: UCS-2, and the counter says so.
    assert "UCS-2" in page.text
    assert "160 yerine 70 karakter" in page.text
    assert "Bana deneme gönder" in page.text
    assert client.get(path, params={"ogrenci": "9999"}).status_code == 404
    assert client.get(path.replace("hat%C4%B1rlatma", "yok")).status_code == 404


def test_a_test_goes_to_my_own_address(preview: tuple[TestClient, str], settings: Settings) -> None:
    client, path = preview
    token = csrf_of(client.get(path).text)
    sent = client.post(
        f"{path}/deneme", data={"csrf_token": token, "channel": "email", "ogrenci": "8001"}
    )
    assert sent.status_code == 303
    message = last_email(settings.outbox_dir)
    assert message["To"] == ADVISOR
    assert "Şule" in message.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    shown = client.get(sent.headers["location"])
    assert "Deneme mesajı kendi adresinize gönderildi (E-posta)" in shown.text

    # No phone on record for the advisor: the SMS test says what is missing.
    refused = client.post(
        f"{path}/deneme", data={"csrf_token": token, "channel": "sms", "ogrenci": "8001"}
    )
    assert refused.status_code == 422
    assert "cep telefonunuz" in refused.text
    forged = client.post(f"{path}/deneme", data={"csrf_token": "x", "channel": "email"})
    assert forged.status_code == 403


def test_the_sms_counter_counts_as_the_text_changes(preview: tuple[TestClient, str]) -> None:
    client, path = preview
    token = csrf_of(client.get(path).text)
    plain = client.post(
        "/sms-sayaci", data={"csrf_token": token, "text": "a" * 161}, headers={"HX-Request": "true"}
    )
    assert plain.text.startswith('<span class="sms-counter">GSM-7 · 161 karakter')
    assert "<strong>2 SMS</strong>" in plain.text
    turkish = client.post(
        "/sms-sayaci", data={"csrf_token": token, "text": "ı" * 71}, headers={"HX-Request": "true"}
    )
    assert "UCS-2 · 71 karakter · <strong>2 SMS</strong>" in turkish.text
    # Without JavaScript the same form gives a page.
    page = client.post("/sms-sayaci", data={"csrf_token": token, "text": "merhaba"})
    assert "<h1>Bir SMS metni deneyin</h1>" in page.text
    assert "<strong>1 SMS</strong>" in page.text
