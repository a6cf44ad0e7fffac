"""Launching in the browser: the checks as a checklist with what the launch will do, one
confirmation, and a campaign that cannot be launched (a failed check, not a draft) stays
as it was."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Campaign, CampaignStatus, Role
from campaigns.core.settings import Settings
from campaigns.definitions.drafts import create
from tests.support import factories
from tests.support.web import client_as, csrf_of

ADVISOR = "kemal.isik@universite.example.edu.tr"
DEFINITION = {
    "name": "Kayıt hatırlatması",
    "audience": {"graduation_terms": ["2019-2020 Bahar"]},
    "send_window": "00:00-24:00",
    "goal_url": "https://mezun.universite.example.edu.tr/kayit",
    "waves": [
        {
            "name": "duyuru",
            "offset": "0s",
            "channels": ["email"],
            "template": "registration_announcement",
        },
        {"name": "sms", "offset": "3d", "channels": ["sms"], "template": "registration_reminder"},
    ],
}


@pytest.fixture
def draft(db: Database, settings: Settings) -> Iterator[tuple[TestClient, int]]:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        session.add_all([factories.student(student_no=f"600{i}") for i in range(3)])
        session.add(factories.student(student_no="6009", phone=None))
        session.flush()
        advisor = Actor.of(users.get_user(session, ADVISOR))
        campaign_id = create(session, advisor, DEFINITION, settings=settings).id
    client = client_as(settings, ADVISOR)
    yield client, campaign_id
    client.__exit__(None, None, None)


def status(db: Database, campaign_id: int) -> CampaignStatus:
    with db.session() as session:
        found = session.get(Campaign, campaign_id)
        assert found is not None
        return found.status


def test_the_checklist_says_what_will_happen_then_one_button_launches(
    draft: tuple[TestClient, int], db: Database
) -> None:
    client, campaign_id = draft
    page = client.get(f"/kampanyalar/{campaign_id}/baslat")
    assert page.status_code == 200
    assert 'class="check-ok"' in page.text
    assert "Denetimler" in page.text
    # Four students by email in the first wave; three by SMS later (one has no phone).
    assert '<th scope="row">duyuru</th>' in page.text
    assert "E-posta: 4" in page.text
    assert "SMS: 3" in page.text
    assert "Kampanyayı başlat" in page.text
    assert status(db, campaign_id) is CampaignStatus.DRAFT

    launched = client.post(
        f"/kampanyalar/{campaign_id}/baslat", data={"csrf_token": csrf_of(page.text)}
    )
    assert launched.status_code == 303
    assert launched.headers["location"] == f"/kampanyalar/{campaign_id}"
    assert status(db, campaign_id) is CampaignStatus.ACTIVE

    again = client.get(f"/kampanyalar/{campaign_id}/baslat")
    assert again.status_code == 409
    assert "Bu şimdi yapılamaz" in again.text


def test_a_failed_check_keeps_the_campaign_a_draft(
    draft: tuple[TestClient, int], db: Database, settings: Settings
) -> None:
    _, campaign_id = draft
    # An installation whose SMS adapter does not exist: the check for SMS fails.
    client = client_as(settings.model_copy(update={"sms_adapter": "yok"}), ADVISOR)
    try:
        page = client.get(f"/kampanyalar/{campaign_id}/baslat")
        assert page.status_code == 409
        assert 'class="check-error"' in page.text
        assert "Kampanyayı başlat" not in page.text
        token = csrf_of(page.text)
        refused = client.post(f"/kampanyalar/{campaign_id}/baslat", data={"csrf_token": token})
        assert refused.status_code == 409
        assert status(db, campaign_id) is CampaignStatus.DRAFT
    finally:
        client.__exit__(None, None, None)
