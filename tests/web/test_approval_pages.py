"""Four eyes in the web app: the advisor submits from the campaign's page, the faculty's
coordinator finds it waiting, sees every message and the forecast, returns it with a comment
the advisor reads, then approves it as seen; only then does the launch page offer the launch.
The advisor cannot approve their own campaign."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Role
from campaigns.core.settings import Settings
from campaigns.definitions import drafts
from tests.support import factories
from tests.support.api import DEFINITION
from tests.support.web import ADVISOR, client_as, csrf_of

COORDINATOR = "muh.koordinator@universite.example.edu.tr"
FACULTY = "Mühendislik Fakültesi"


@dataclass
class Pair:
    advisor: TestClient
    coordinator: TestClient
    campaign_id: int


@pytest.fixture
def pair(db: Database, settings: Settings) -> Iterator[Pair]:
    settings = settings.model_copy(update={"approval_required": FACULTY})
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        users.add_user(
            session, Actor.operator(), email=COORDINATOR, role=Role.COORDINATOR, faculty=FACULTY
        )
        session.add_all(
            [factories.student(first_name="Işıl"), factories.student(first_name="Ömer")]
        )
    with db.session() as session:
        advisor = Actor(ADVISOR, Role.ADVISOR, email=ADVISOR)
        campaign_id = drafts.create(session, advisor, DEFINITION, settings=settings).id
    clients = client_as(settings, ADVISOR), client_as(settings, COORDINATOR)
    yield Pair(*clients, campaign_id)
    for client in clients:
        client.__exit__(None, None, None)


def test_the_coordinator_reviews_returns_and_approves(pair: Pair) -> None:
    page_url = f"/kampanyalar/{pair.campaign_id}"
    page = pair.advisor.get(page_url).text
    assert "Onaya gönder" in page
    assert "önce onaya gönderin" in page
    assert "Onayımı bekleyenler" not in page  # advisors approve nothing
    token = csrf_of(page)
    assert (
        pair.advisor.post(f"{page_url}/onaya-gonder", data={"csrf_token": token}).status_code == 303
    )
    assert "onay bekliyor" in pair.advisor.get(page_url).text
    launch = pair.advisor.get(f"{page_url}/baslat")
    assert launch.status_code == 409
    assert "Kampanyayı başlat" not in launch.text

    waiting = pair.coordinator.get("/onay").text
    assert f'href="{page_url}/onay"' in waiting
    review = pair.coordinator.get(f"{page_url}/onay")
    assert review.status_code == 200
    assert "Işıl" in review.text  # the messages as the first student gets them
    assert "İnceleme" in review.text
    coordinator_token = csrf_of(review.text)
    empty = pair.coordinator.post(
        f"{page_url}/geri-gonder", data={"csrf_token": coordinator_token, "comment": " "}
    )
    assert empty.status_code == 422
    assert "neyin değişmesi gerektiğini yazın" in empty.text
    returned = pair.coordinator.post(
        f"{page_url}/geri-gonder",
        data={"csrf_token": coordinator_token, "comment": "Hatırlatma üç gün sonra değil, beş"},
    )
    assert returned.status_code == 303
    assert "Hatırlatma üç gün sonra değil, beş" in pair.advisor.get(page_url).text

    pair.advisor.post(f"{page_url}/onaya-gonder", data={"csrf_token": token})
    own = pair.advisor.post(f"{page_url}/onayla", data={"csrf_token": token})
    assert own.status_code == 403
    fingerprint = review.text.split('name="fingerprint" value="')[1].split('"')[0]
    approved = pair.coordinator.post(
        f"{page_url}/onayla", data={"csrf_token": coordinator_token, "fingerprint": fingerprint}
    )
    assert approved.status_code == 303
    assert f"{COORDINATOR} onayladı" in pair.advisor.get(page_url).text
    ready = pair.advisor.get(f"{page_url}/baslat")
    assert ready.status_code == 200
    assert "Kampanyayı başlat" in ready.text
