"""Bearer tokens: missing, malformed, unknown and revoked ones get 401; only digests are
stored."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Base, Role
from tests.support.api import ADMIN, ADVISOR_A, add_user, api_client, api_settings, bearer


@pytest.fixture
def client(pg_db: Database, tmp_path: Path) -> Iterator[TestClient]:
    with api_client(api_settings(pg_db, tmp_path)) as client:
        yield client


def assert_refused(response_status: int, headers: dict[str, str], body: dict[str, str]) -> None:
    assert response_status == 401
    assert headers.get("www-authenticate") == "Bearer"
    assert "token" in body["detail"]


def test_a_valid_token_identifies_its_user(pg_db: Database, client: TestClient) -> None:
    token = add_user(pg_db, ADVISOR_A, Role.ADVISOR, phone="0532 100 00 01")
    response = client.get("/api/v1/me", headers=bearer(token))
    assert response.status_code == 200
    assert response.json() | {"created_at": None} == {
        "email": ADVISOR_A,
        "role": "advisor",
        "faculty": None,
        "phone": "+905321000001",
        "created_at": None,
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": ""},
        {"Authorization": "Bearer"},
        {"Authorization": "Bearer "},
        {"Authorization": "Basic bWV6dW46Z2l6bGk="},
        {"Authorization": "Bearer mbs_bilinmeyen-anahtar"},
        {"Authorization": "Bearer not-even-our-prefix"},
        {"Authorization": "Bearer mbs_" + "x" * 5000},
    ],
    ids=["missing", "empty", "no-token", "blank", "basic", "unknown", "foreign", "huge"],
)
def test_missing_malformed_and_unknown_tokens_get_401(
    pg_db: Database, client: TestClient, headers: dict[str, str]
) -> None:
    add_user(pg_db, ADMIN, Role.ADMIN)
    response = client.get("/api/v1/me", headers=headers)
    assert_refused(response.status_code, dict(response.headers), response.json())


def test_a_revoked_token_gets_401_and_a_reissued_one_works(
    pg_db: Database, client: TestClient
) -> None:
    token = add_user(pg_db, ADVISOR_A, Role.ADVISOR)
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 200
    with pg_db.session() as session:
        users.revoke(session, Actor.operator(), ADVISOR_A.upper())
    response = client.get("/api/v1/me", headers=bearer(token))
    assert_refused(response.status_code, dict(response.headers), response.json())

    with pg_db.session() as session:
        fresh = users.reissue_token(session, Actor.operator(), ADVISOR_A).token
    assert client.get("/api/v1/me", headers=bearer(fresh)).status_code == 200
    assert client.get("/api/v1/me", headers=bearer(token)).status_code == 401


def test_a_token_is_random_prefixed_and_only_its_digest_is_stored(pg_db: Database) -> None:
    tokens = [add_user(pg_db, f"u{i}@universite.example.edu.tr", Role.ADMIN) for i in range(3)]
    assert len(set(tokens)) == 3
    for token in tokens:
        assert re.fullmatch(r"mbs_[A-Za-z0-9_-]{43}", token)
    with pg_db.engine.connect() as connection:
        stored = connection.execute(text("SELECT token_hash FROM users ORDER BY id")).scalars()
        assert list(stored) == [hashlib.sha256(t.encode()).hexdigest() for t in tokens]
        # Nowhere in the database, in any column of any table.
        for table in Base.metadata.sorted_tables:
            dump = str(connection.execute(table.select()).all())
            for token in tokens:
                assert token not in dump
                assert token.removeprefix("mbs_") not in dump


def test_every_api_operation_requires_a_token(pg_db: Database, client: TestClient) -> None:
    add_user(pg_db, ADMIN, Role.ADMIN)
    schema = client.get("/api/v1/openapi.json").json()
    operations = [
        (method, path)
        for path, item in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
    ]
    assert len(operations) == 24
    for method, path in operations:
        url = path.replace("{campaign_id}", "1").replace("{wave}", "duyuru")
        url = url.replace("{student_no}", "1001")
        response = client.request(method.upper(), url, json={})
        assert response.status_code == 401, (method, path)
        assert response.headers["www-authenticate"] == "Bearer"
        assert "Traceback" not in response.text


def test_the_desk_is_refused_by_the_api(pg_db: Database, client: TestClient) -> None:
    token = add_user(pg_db, "masa@universite.example.edu.tr", Role.DESK)
    for path in ("/api/v1/me", "/api/v1/students", "/api/v1/campaigns"):
        response = client.get(path, headers=bearer(token))
        assert response.status_code == 403
        assert "web" in response.json()["detail"]
