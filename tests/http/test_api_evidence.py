"""The quality evidence through the API: the coordinator's holds their faculty's
programmes only; a term or range that cannot be read is answered with 422."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from campaigns.core.db import Database
from tests.support.api import (
    ENGINEERING,
    TERM,
    Cast,
    bearer,
    cohort_api,
)


@pytest.fixture
def api(db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, Cast]]:
    with cohort_api(db, tmp_path) as client_and_cast:
        yield client_and_cast


def test_each_caller_gets_the_evidence_of_their_students(
    api: tuple[TestClient, Cast],
) -> None:
    client, cast = api
    everyone = client.get("/api/v1/evidence", params={"term": TERM}, headers=bearer(cast.admin))
    assert everyone.status_code == 200, everyone.text
    assert everyone.json()["rows"][-1]["graduating"] == 4  # the whole cohort
    mine = client.get("/api/v1/evidence", params={"term": TERM}, headers=bearer(cast.coordinator))
    rows = mine.json()["rows"]
    assert {row["faculty"] for row in rows[:-1]} == {ENGINEERING}
    assert rows[-1]["graduating"] == 3
    assert mine.json()["period"] == [None, None]  # nothing sent yet


@pytest.mark.parametrize(
    "params",
    [{"term": "bahar"}, {"term": TERM, "since": "2026-06-02", "until": "2026-06-01"}],
)
def test_a_term_or_range_that_cannot_be_read_is_422(
    api: tuple[TestClient, Cast], params: dict[str, str]
) -> None:
    client, cast = api
    answer = client.get("/api/v1/evidence", params=params, headers=bearer(cast.admin))
    assert answer.status_code == 422
    assert " / " in answer.json()["detail"][0]["msg"]
