"""Four eyes through the API: an advisor submits, the faculty's coordinator sees it waiting
and approves it (as they saw it) or returns it with a comment; the advisor may not approve,
nobody approves their own, and the launch waits for the approval."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.settings import Settings
from campaigns.delivery.edited_texts import save
from tests.support.api import (
    DEFINITION,
    ENGINEERING,
    Cast,
    add_cast,
    add_cohort,
    api_client,
    api_settings,
    bearer,
)


@dataclass
class Api:
    client: TestClient
    cast: Cast
    settings: Settings

    def get(self, token: str, url: str) -> Any:
        return self.client.get(f"/api/v1{url}", headers=bearer(token))

    def post(self, token: str, url: str, body: Any = None) -> Any:
        return self.client.post(f"/api/v1{url}", headers=bearer(token), json=body)


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[Api]:
    add_cohort(db)
    cast = add_cast(db)
    settings = api_settings(db, tmp_path, approval_required=ENGINEERING)
    with api_client(settings) as client:
        yield Api(client, cast, settings)


def test_an_advisors_campaign_is_approved_by_the_faculty_coordinator(
    api: Api, db: Database
) -> None:
    advisor, coordinator = api.cast.advisor_a, api.cast.coordinator
    created = api.post(advisor, "/campaigns", DEFINITION).json()
    number = created["id"]
    assert created["review"]["required"] is True
    assert created["review"]["state"] is None

    refused = api.post(advisor, f"/campaigns/{number}/launch")
    assert refused.status_code == 409
    assert [d["loc"] for d in refused.json()["detail"]] == [["preflight", "onay / approval"]]

    submitted = api.post(advisor, f"/campaigns/{number}/submit")
    assert submitted.json()["review"]["state"] == "pending"
    assert api.post(advisor, f"/campaigns/{number}/submit").status_code == 409
    assert api.get(advisor, "/campaigns/waiting").json() == []
    waiting = api.get(coordinator, "/campaigns/waiting").json()
    assert [c["id"] for c in waiting] == [number]

    assert api.post(advisor, f"/campaigns/{number}/approve").status_code == 403
    no_comment = api.post(coordinator, f"/campaigns/{number}/return", {"comment": ""})
    assert no_comment.status_code == 422
    returned = api.post(coordinator, f"/campaigns/{number}/return", {"comment": "Tarih yanlış"})
    assert returned.json()["review"]["comment"] == "Tarih yanlış"

    seen = api.post(advisor, f"/campaigns/{number}/submit").json()["fingerprint"]
    with db.session() as session:  # the office edits a text the campaign uses meanwhile
        save(
            session,
            Actor.operator(),
            api.settings,
            "registration_announcement",
            "sms",
            "tr",
            "Merhaba {{ first_name }}, mezun sistemine kaydolun: {{ link }}",
        )
    stale = api.post(coordinator, f"/campaigns/{number}/approve", {"fingerprint": seen})
    assert stale.status_code == 409
    now = api.get(coordinator, f"/campaigns/{number}").json()["fingerprint"]
    approved = api.post(coordinator, f"/campaigns/{number}/approve", {"fingerprint": now})
    assert approved.status_code == 200, approved.text
    assert approved.json()["review"]["approved"] is True
    assert api.post(advisor, f"/campaigns/{number}/launch").status_code == 200
