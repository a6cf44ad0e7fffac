"""The quality evidence page: the office chooses a term and reads the programmes; the XLSX
and the printable page carry the same figures; a date that cannot be read is said; an
advisor's evidence holds only their own students."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Role
from campaigns.core.settings import Settings
from tests.support import factories
from tests.support.web import ADMIN, ADVISOR, client_as

TERM = "2019-2020 Bahar"


@pytest.fixture
def clients(db: Database, settings: Settings) -> Iterator[tuple[TestClient, TestClient]]:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADMIN, role=Role.ADMIN)
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        session.add_all(
            [factories.student(advisor_email=ADVISOR) for _ in range(2)]
            + [
                factories.student(
                    department="Fizik",
                    faculty="Fen Fakültesi",
                    advisor_email="baska.danisman@universite.example.edu.tr",
                )
            ]
        )
    pair = client_as(settings, ADMIN), client_as(settings, ADVISOR)
    yield pair
    for client in pair:
        client.__exit__(None, None, None)


def test_the_office_reads_and_takes_away_the_evidence(
    clients: tuple[TestClient, TestClient],
) -> None:
    office, _ = clients
    empty = office.get("/kalite")
    assert empty.status_code == 200
    assert f'<option value="{TERM}"' in empty.text
    page = office.get("/kalite", params={"donem": TERM})
    assert page.status_code == 200
    assert "Fizik (lisans)" in page.text
    assert "Bilgisayar Mühendisliği (lisans)" in page.text
    book = load_workbook(io.BytesIO(office.get("/kalite.xlsx", params={"donem": TERM}).content))
    sheet = book.active
    assert sheet is not None
    assert [row[3] for row in sheet.iter_rows(min_row=2, values_only=True)] == [
        1,
        2,
        3,
    ]  # Fen before Mühendislik, then the total
    printable = office.get("/kalite.html", params={"donem": TERM})
    assert printable.headers["content-type"].startswith("text/html")
    assert "@media print" in printable.text
    assert "tüm üniversite" in printable.text


def test_a_date_that_cannot_be_read_is_said(clients: tuple[TestClient, TestClient]) -> None:
    office, _ = clients
    answer = office.get("/kalite", params={"donem": TERM, "ilk": "31.12.2026"})
    assert answer.status_code == 422
    assert "YYYY-AA-GG" in answer.text
    assert office.get("/kalite.pdf", params={"donem": TERM}).status_code == 404


def test_an_advisors_evidence_holds_only_their_students(
    clients: tuple[TestClient, TestClient],
) -> None:
    _, advisor = clients
    page = advisor.get("/kalite", params={"donem": TERM}).text
    assert "Bilgisayar Mühendisliği (lisans)" in page
    assert "Fizik" not in page
