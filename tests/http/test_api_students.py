"""``GET /students`` filters and pages; ``GET /students/{no}`` shows the message history."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus, Student, Wave, utcnow
from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from campaigns.runtime import build_runtime
from tests.support import factories
from tests.support.api import (
    ADVISOR_A,
    DEFINITION,
    ENGINEERING,
    SCIENCE,
    Cast,
    add_cast,
    add_cohort,
    api_client,
    api_settings,
    bearer,
    student_numbers,
)


@dataclass(frozen=True)
class Api:
    client: TestClient
    settings: Settings
    cast: Cast

    def students(self, token: str | None = None, **params: Any) -> Any:
        response = self.client.get(
            "/api/v1/students", headers=bearer(token or self.cast.admin), params=params
        )
        assert response.status_code == 200, response.text
        return response.json()

    def numbers(self, **params: Any) -> list[str]:
        return student_numbers(self.students(**params)["items"])


@pytest.fixture
def api(pg_db: Database, tmp_path: Path) -> Iterator[Api]:
    add_cohort(pg_db)
    with pg_db.session() as session:
        session.add(
            factories.student(
                student_no="2150",
                first_name="İpek",
                last_name="Işık",
                faculty="FEN-EDEBİYAT FAKÜLTESİ",
                department="Kimya",
                degree="doktora",
                graduation_term="2020-2021 Güz",
                advisor_email=None,
            )
        )
    cast = add_cast(pg_db)
    settings = api_settings(pg_db, tmp_path)
    with api_client(settings) as client:
        yield Api(client, settings, cast)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({}, ["1001", "1002", "1003", "2001", "2150"]),
        ({"term": "2019-2020 BAHAR"}, ["1001", "1002", "1003", "2001"]),
        ({"faculty": "fen edebiyat fakultesi"}, ["2001", "2150"]),  # both spellings
        ({"faculty": ENGINEERING, "department": "elektrik muhendisligi"}, ["1002"]),
        ({"degree": "YL"}, ["2001"]),
        ({"degree": "doctorate"}, ["2150"]),
        ({"advisor_email": ADVISOR_A.upper()}, ["1001", "1002"]),
        ({"consent": "false"}, ["1002"]),
        ({"consent": "true", "faculty": ENGINEERING}, ["1001", "1003"]),
        ({"q": "10"}, ["1001", "1002", "1003"]),
        ({"q": "ışı"}, ["1001", "2150"]),  # Işıl Çelik, İpek Işık
        ({"q": "IŞIL"}, ["1001"]),
        ({"q": "ipek ı"}, ["2150"]),  # a full name
        ({"q": "şah"}, ["1002"]),
        ({"q": "%"}, []),  # a LIKE wildcard is taken literally
        ({"q": "_"}, []),
        ({"faculty": "Hukuk Fakültesi"}, []),
    ],
)
def test_filters(api: Api, params: dict[str, str], expected: list[str]) -> None:
    page = api.students(**params)
    assert student_numbers(page["items"]) == expected
    assert page["total"] == len(expected)


def test_paging_keeps_the_total(api: Api) -> None:
    first = api.students(limit=2)
    second = api.students(limit=2, offset=2)
    last = api.students(limit=2, offset=4)
    assert [first["total"], second["total"], last["total"]] == [5, 5, 5]
    pages = [student_numbers(p["items"]) for p in (first, second, last)]
    assert pages == [["1001", "1002"], ["1003", "2001"], ["2150"]]
    assert (second["limit"], second["offset"]) == (2, 2)
    assert api.students(offset=10)["items"] == []


def test_scope_applies_before_filters_and_paging(api: Api) -> None:
    page = api.students(token=api.cast.advisor_a, limit=1)
    assert page["total"] == 2
    assert student_numbers(page["items"]) == ["1001"]
    assert api.students(token=api.cast.advisor_b, q="100")["total"] == 1
    assert api.students(token=api.cast.coordinator, faculty=SCIENCE)["total"] == 0


@pytest.mark.parametrize(
    ("params", "location"),
    [
        ({"limit": 0}, ["query", "limit"]),
        ({"limit": 501}, ["query", "limit"]),
        ({"offset": -1}, ["query", "offset"]),
        ({"limit": "çok"}, ["query", "limit"]),
        ({"consent": "belki"}, ["query", "consent"]),
        ({"q": "a\x00b"}, ["query", "q"]),
        ({"faculty": "x" * 256}, ["query", "faculty"]),
    ],
)
def test_bad_parameters_get_422_naming_them(
    api: Api, params: dict[str, Any], location: list[str]
) -> None:
    response = api.client.get("/api/v1/students", headers=bearer(api.cast.admin), params=params)
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == location


def test_a_student_without_messages(api: Api) -> None:
    response = api.client.get("/api/v1/students/2150", headers=bearer(api.cast.admin))
    assert response.status_code == 200
    student = response.json()
    assert student["first_name"] == "İpek"
    assert student["advisor_email"] is None
    assert student["reachable_by"] == ["email", "sms", "whatsapp"]
    assert student["messages"] == []


def test_student_detail_shows_the_message_history_without_addresses(
    pg_db: Database, api: Api
) -> None:
    created = api.client.post(
        "/api/v1/campaigns", headers=bearer(api.cast.admin), json=DEFINITION
    ).json()
    api.client.post(f"/api/v1/campaigns/{created['id']}/launch", headers=bearer(api.cast.admin))
    with build_runtime(api.settings) as runtime:
        runtime.tick()
    clicked_at = utcnow() - timedelta(minutes=5)
    with pg_db.session() as session:
        student = session.scalars(select(Student).where(Student.student_no == "1001")).one()
        addresses = [student.email, student.personal_email, student.phone]
        session.execute(
            update(Message)
            .where(Message.student_id == student.id)
            .values(clicked_at=clicked_at, click_count=2, error_code="30003")
        )
        session.execute(update(Wave).values(status="done"))

    # The advisor may see the student, not the campaign (declared for the whole university):
    # its messages are left out of what they see.
    own = api.client.get("/api/v1/students/1001", headers=bearer(api.cast.advisor_a))
    assert own.status_code == 200
    assert own.json()["messages"] == []
    assert (
        api.client.get(
            f"/api/v1/campaigns/{created['id']}", headers=bearer(api.cast.advisor_a)
        ).status_code
        == 404
    )
    response = api.client.get("/api/v1/students/1001", headers=bearer(api.cast.admin))
    assert response.status_code == 200
    detail = response.json()
    assert detail["student_no"] == "1001"
    assert detail["advisor_email"] == "Ayse.Kaya@Universite.example.edu.tr"
    [message] = detail["messages"]
    assert message["campaign_id"] == created["id"]
    assert message["campaign_name"] == DEFINITION["name"]
    assert message["wave"] == "duyuru"
    assert message["channel"] == "email"
    assert message["status"] == MessageStatus.SENT.value
    assert message["skip_reason"] is None
    assert message["attempts"] == 1
    assert message["sent_at"] is not None
    assert message["error_code"] == "30003"
    assert message["click_count"] == 2
    assert message["clicked_at"].startswith(clicked_at.strftime("%Y-%m-%dT%H:%M"))
    for address in addresses:
        assert address is not None
        assert address not in response.text

    skipped = api.client.get("/api/v1/students/1002", headers=bearer(api.cast.admin)).json()
    [message] = skipped["messages"]
    assert (message["status"], message["skip_reason"], message["channel"]) == (
        "skipped",
        "no_consent",
        None,
    )


def test_student_numbers_that_cannot_exist_get_422(api: Api) -> None:
    headers = bearer(api.cast.admin)
    too_long = api.client.get("/api/v1/students/" + "1" * 33, headers=headers)
    assert too_long.status_code == 422
    assert too_long.json()["detail"][0]["loc"] == ["path", "student_no"]
    nul = api.client.get("/api/v1/students/1%00", headers=headers)
    assert nul.status_code == 422
    assert api.client.get("/api/v1/students/9999", headers=headers).status_code == 404


def test_personal_data_stays_out_of_the_access_log(
    api: Api, caplog: pytest.LogCaptureFixture
) -> None:
    access = logging.getLogger("uvicorn.access")
    for installed in list(access.filters):
        access.removeFilter(installed)
    create_app(api.settings)  # whoever serves the app gets the filter with it
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        access.info(
            '%s - "%s %s HTTP/%s" %d',
            "10.0.0.1:5000",
            "GET",
            f"/api/v1/students?advisor_email={ADVISOR_A}&q=I%C5%9F%C4%B1l",
            "1.1",
            200,
        )
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "GET", "/u/abc?x=1", "1.1", 200)
        access.info(
            '%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "GET", "/r/1abcDEF0123456789", "1.1", 302
        )
        access.info(
            '%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "POST", "/giris/mbg_secret", "1.1", 303
        )
        access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "GET", "/healthz", "1.1", 200)
        for page in ("/ogrenciler?ara=I%C5%9F%C4%B1l", "/ogrenciler/20200001/hatirlat"):
            access.info('%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "GET", page, "1.1", 200)
        access.info(
            '%s - "%s %s HTTP/%s" %d', "10.0.0.1:5000", "GET", "/api/v1/students/2020", "1.1", 200
        )
    # Link tokens open the link and unsubscribe the student, or sign a user in: never logged.
    assert [record.getMessage() for record in caplog.records] == [
        '10.0.0.1:5000 - "GET /api/v1/students?… HTTP/1.1" 200',
        '10.0.0.1:5000 - "GET /u/… HTTP/1.1" 200',
        '10.0.0.1:5000 - "GET /r/… HTTP/1.1" 302',
        '10.0.0.1:5000 - "POST /giris/… HTTP/1.1" 303',
        '10.0.0.1:5000 - "GET /healthz HTTP/1.1" 200',
        # Names, addresses and student numbers of the web app's pages.
        '10.0.0.1:5000 - "GET /ogrenciler?… HTTP/1.1" 200',
        '10.0.0.1:5000 - "GET /ogrenciler/…/hatirlat HTTP/1.1" 200',
        '10.0.0.1:5000 - "GET /api/v1/students/… HTTP/1.1" 200',
    ]
