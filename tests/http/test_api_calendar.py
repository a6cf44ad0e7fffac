"""The calendar through the API: everyone reads the closed days ahead; the coordinator
closes their own faculty's days (stored with the students' spelling), not another's nor
the university's; bad input is answered with the field; reopening forgets the days."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from campaigns.core.db import Database
from campaigns.core.models import utcnow
from tests.support.api import (
    ENGINEERING,
    SCIENCE,
    Cast,
    bearer,
    cohort_api,
)

SOON = (utcnow().date() + timedelta(days=20)).isoformat()


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, Cast]]:
    with cohort_api(db, tmp_path) as client_and_cast:
        yield client_and_cast


def test_a_coordinator_closes_their_facultys_days_and_everyone_reads_them(
    api: tuple[TestClient, Cast],
) -> None:
    client, cast = api
    body = {"first_day": SOON, "reason": "Fakülte kurulu", "faculty": "MÜHENDİSLİK FAKÜLTESİ"}
    made = client.post("/api/v1/calendar/closed-days", headers=bearer(cast.coordinator), json=body)
    assert made.status_code == 201, made.text
    kept = made.json()
    assert (kept["faculty"], kept["kind"], kept["last_day"]) == (ENGINEERING, "faculty", SOON)
    for refused in ({**body, "faculty": SCIENCE}, {**body, "faculty": None}):
        answer = client.post(
            "/api/v1/calendar/closed-days", headers=bearer(cast.coordinator), json=refused
        )
        assert answer.status_code == 403
    listed = client.get("/api/v1/calendar?days=40", headers=bearer(cast.advisor_a))
    assert listed.status_code == 200
    assert [s["id"] for s in listed.json() if s["kind"] == "faculty"] == [kept["id"]]
    advisor_try = client.delete(
        f"/api/v1/calendar/closed-days/{kept['id']}", headers=bearer(cast.advisor_a)
    )
    assert advisor_try.status_code == 403
    gone = client.delete(
        f"/api/v1/calendar/closed-days/{kept['id']}", headers=bearer(cast.coordinator)
    )
    assert gone.status_code == 204
    again = client.get("/api/v1/calendar?days=40", headers=bearer(cast.admin)).json()
    assert [s for s in again if s["kind"] == "faculty"] == []
    missing = client.delete(
        f"/api/v1/calendar/closed-days/{kept['id']}", headers=bearer(cast.admin)
    )
    assert missing.status_code == 404


def test_a_closed_day_that_cannot_be_kept_is_answered_with_its_field(
    api: tuple[TestClient, Cast],
) -> None:
    client, cast = api
    earlier = (date.fromisoformat(SOON) - timedelta(days=2)).isoformat()
    answer = client.post(
        "/api/v1/calendar/closed-days",
        headers=bearer(cast.admin),
        json={"first_day": SOON, "last_day": earlier, "reason": "Sınav"},
    )
    assert answer.status_code == 422
    (problem,) = answer.json()["detail"]
    assert problem["loc"] == ["body", "last_day"]
    assert problem["msg"].startswith("last_day: başlangıç gününden önce / before the first day")
