"""The alumni office's pages: health, users and roles, the audit log, suppressions. Every
change goes through the use case with its audit entry; anyone else finds nothing (404)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import AuditEntry, Role, Suppression, User
from campaigns.core.settings import Settings
from channels.base import Channel
from tests.support.web import ADMIN, ADVISOR, client_as, csrf_of


def user(db: Database, email: str) -> User:
    with db.session() as session:
        return users.get_user(session, email)


def test_health_shows_the_checks_and_the_providers(admin: TestClient) -> None:
    page = admin.get("/yonetim")
    assert page.status_code == 200
    assert "veritabanı / database" in page.text
    assert "Zamanlayıcının son çalıştığı an" in page.text
    assert "Son 24 saatte hiçbir şey gönderilmedi." in page.text


def test_users_are_added_changed_given_tokens_and_revoked(admin: TestClient, db: Database) -> None:
    token = csrf_of(admin.get("/yonetim/kullanicilar").text)
    added = admin.post(
        "/yonetim/kullanicilar/ekle",
        data={
            "csrf_token": token,
            "email": "Yeni.Koordinator@Universite.example.edu.tr",
            "role": "coordinator",
            "faculty": "Tıp Fakültesi",
        },
    )
    assert added.status_code == 200
    shown = re.search(r'<code class="token">([^<]+)</code>', added.text)
    assert shown is not None
    with db.session() as session:
        assert users.authenticate(session, shown[1]) is not None
    address = "yeni.koordinator@universite.example.edu.tr"
    assert user(db, address).faculty == "Tıp Fakültesi"

    # A coordinator without a faculty is refused with the use case's words.
    refused = admin.post(
        "/yonetim/kullanicilar/degistir",
        data={"csrf_token": token, "email": address, "role": "coordinator", "faculty": ""},
    )
    assert refused.status_code == 422
    assert "koordinatör için --faculty gerekli" in refused.text

    changed = admin.post(
        "/yonetim/kullanicilar/degistir",
        data={"csrf_token": token, "email": address, "role": "advisor", "faculty": ""},
    )
    assert changed.status_code == 303
    assert user(db, address).role is Role.ADVISOR

    renewed = admin.post(
        "/yonetim/kullanicilar/anahtar", data={"csrf_token": token, "email": address}
    )
    assert "yalnızca bu kez gösterilir" in renewed.text
    with db.session() as session:
        assert users.authenticate(session, shown[1]) is None

    admin.post("/yonetim/kullanicilar/iptal", data={"csrf_token": token, "email": address})
    assert user(db, address).revoked_at is not None
    with db.session() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.target == f"user:{address}")
        ).all()
    assert actions == ["user.add", "user.change", "user.token", "user.revoke"]


def test_the_audit_log_filters_and_pages(admin: TestClient) -> None:
    everything = admin.get("/yonetim/denetim")
    assert "<code>sign_in.completed</code>" in everything.text
    assert '<option value="user.add"' in everything.text
    only_adds = admin.get("/yonetim/denetim", params={"islem": "user.add"})
    assert "<code>sign_in.completed</code>" not in only_adds.text
    assert f"user:{ADVISOR}" in only_adds.text
    by_target = admin.get("/yonetim/denetim", params={"hedef": f"user:{ADMIN}"})
    assert f"user:{ADVISOR}" not in by_target.text


def test_suppressions_are_added_and_lifted_by_hand(admin: TestClient, db: Database) -> None:
    token = csrf_of(admin.get("/yonetim/engeller").text)
    added = admin.post(
        "/yonetim/engeller/ekle",
        data={
            "csrf_token": token,
            "channel": "sms",
            "address": "0532 111 22 33",
            "reason": "telefonla istedi",
        },
    )
    assert added.status_code == 303
    page = admin.get("/yonetim/engeller", params={"kanal": "sms"})
    assert "+905321112233" in page.text
    assert "1 adres" in page.text
    assert "0 adres" in admin.get("/yonetim/engeller", params={"kanal": "email"}).text

    bad = admin.post(
        "/yonetim/engeller/ekle", data={"csrf_token": token, "channel": "email", "address": "x"}
    )
    assert bad.status_code == 422
    assert "geçersiz e-posta" in bad.text

    admin.post(
        "/yonetim/engeller/kaldir",
        data={"csrf_token": token, "channel": "sms", "address": "+905321112233"},
    )
    with db.session() as session:
        assert (
            session.scalars(select(Suppression).where(Suppression.channel == Channel.SMS)).all()
            == []
        )


def test_nobody_else_finds_these_pages(admin: TestClient, settings: Settings, db: Database) -> None:
    advisor = client_as(settings, ADVISOR)
    try:
        for path in ("/yonetim", "/yonetim/kullanicilar", "/yonetim/denetim", "/yonetim/engeller"):
            assert advisor.get(path).status_code == 404
        token = csrf_of(advisor.get("/").text)
        assert "/yonetim" not in advisor.get("/").text
        refused = advisor.post(
            "/yonetim/kullanicilar/ekle",
            data={"csrf_token": token, "email": "x@example.edu.tr", "role": "admin"},
        )
        assert refused.status_code == 404
        assert (
            advisor.post(
                "/yonetim/engeller/ekle",
                data={"csrf_token": token, "channel": "sms", "address": "05321112233"},
            ).status_code
            == 404
        )
        with db.session() as session:
            assert session.scalars(select(Suppression)).all() == []
            assert len(users.list_users(session)) == 2
    finally:
        advisor.__exit__(None, None, None)


def test_the_split_is_shown_pinned_and_given_back(db: Database, settings: Settings) -> None:
    two = settings.model_copy(update={"sms_adapter": "netgsm:70,twilio-sms:30"})
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADMIN, role=Role.ADMIN)
    office = client_as(two, ADMIN)
    try:
        page = office.get("/yonetim")
        assert 'name="share-netgsm" type="number" min="0" max="1000" value="70"' in page.text
        token = csrf_of(page.text)
        no_reason = office.post(
            "/yonetim/saglayicilar/sms/sabitle",
            data={"csrf_token": token, "share-netgsm": "0", "share-twilio-sms": "100"},
        )
        assert no_reason.status_code == 422
        pinned = office.post(
            "/yonetim/saglayicilar/sms/sabitle",
            data={
                "csrf_token": token,
                "share-netgsm": "0",
                "share-twilio-sms": "100",
                "reason": "Netgsm bakımda",
            },
        )
        assert pinned.status_code == 303
        after = office.get("/yonetim").text
        assert 'name="share-twilio-sms" type="number" min="0" max="1000" value="100"' in after
        assert "Elle sabitlendi." in after
        assert "<td>Netgsm bakımda</td>" in after
        office.post("/yonetim/saglayicilar/sms/coz", data={"csrf_token": token})
        assert (
            'name="share-netgsm" type="number" min="0" max="1000" value="70"'
            in office.get("/yonetim").text
        )
        assert (
            office.post("/yonetim/saglayicilar/fax/coz", data={"csrf_token": token}).status_code
            == 404
        )
    finally:
        office.__exit__(None, None, None)
