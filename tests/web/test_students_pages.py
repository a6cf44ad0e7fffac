"""The students list: the worklist, filters, pages, and the same list as XLSX and CSV, only
ever within the signed-in user's scope."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Conversion, ConversionStage, Role, utcnow
from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from tests.support import factories
from tests.support.web import sign_in_through_pages

EMAIL = "kemal.isik@universite.example.edu.tr"
ROW = re.compile(r"<tr>\s*<td><a href=\"[^\"]+\">(\d+)</a></td>")


@pytest.fixture
def client(db: Database, settings: Settings) -> Iterator[TestClient]:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=EMAIL, role=Role.ADVISOR)
        mine = [factories.student(student_no=str(900 + i)) for i in range(60)]
        mine[0].last_name = "=HYPERLINK(1)"  # what a spreadsheet must not run
        mine[2].email = mine[2].personal_email = None  # reachable by SMS only
        mine[3].department = "Elektrik Mühendisliği"
        session.add_all(mine)
        session.add(factories.student(student_no="999", advisor_email="baska@example.edu.tr"))
        session.add_all(
            Conversion(student_no=number, stage=stage, occurred_at=utcnow(), source="test")
            for number, stage in (
                ("900", ConversionStage.REGISTERED),
                ("900", ConversionStage.FORM_SUBMITTED),
                ("901", ConversionStage.REGISTERED),
                ("999", ConversionStage.REGISTERED),
            )
        )
    with TestClient(
        create_app(settings), base_url="https://testserver", follow_redirects=False
    ) as client:
        sign_in_through_pages(client, settings.outbox_dir, EMAIL)
        yield client


def numbers(html: str) -> list[str]:
    return ROW.findall(html)


def test_the_worklist_pages_and_filters(client: TestClient) -> None:
    everyone = client.get("/ogrenciler")
    assert "60 öğrenci" in everyone.text
    assert numbers(everyone.text) == [str(900 + i) for i in range(50)]
    assert "999" not in numbers(everyone.text)  # another advisor's student
    second = client.get("/ogrenciler", params={"sayfa": 2})
    assert numbers(second.text) == [str(950 + i) for i in range(10)]
    assert "Sayfa 2 / 2" in second.text

    worklist = client.get("/ogrenciler", params={"kayit": "hayir"})
    assert "58 öğrenci" in worklist.text
    assert {"900", "901"}.isdisjoint(numbers(worklist.text))
    form_missing = client.get("/ogrenciler", params={"kayit": "evet", "form": "hayir"})
    assert numbers(form_missing.text) == ["901"]
    assert numbers(client.get("/ogrenciler", params={"ara": "905"}).text) == ["905"]
    nothing = client.get("/ogrenciler", params={"ara": "999"})
    assert "Bu süzgeçlere uyan öğrenci yok." in nothing.text


def test_the_board_breaks_down_and_links_to_the_lists_behind_its_numbers(
    client: TestClient,
) -> None:
    board = client.get("/", params={"kirilim": "bolum"})
    assert "<td>Elektrik Mühendisliği</td>" in board.text
    link = "/ogrenciler?donem=2019-2020%20Bahar&amp;bolum=Elektrik%20M%C3%BCh"
    assert f'<a href="{link}endisli%C4%9Fi">1</a>' in board.text
    assert "Henüz hiçbir dalga gönderilmedi" in board.text  # no trend before a first wave
    by_email = client.get("/ogrenciler", params={"ulasim": "eposta"})
    assert "59 öğrenci" in by_email.text
    assert "902" not in numbers(by_email.text)
    assert numbers(client.get("/ogrenciler", params={"ulasim": "yok"}).text) == []
    electric = client.get("/ogrenciler", params={"bolum": "elektrik muhendisligi"})
    assert numbers(electric.text) == ["903"]


def test_the_list_downloads_as_xlsx_and_csv_with_the_same_filters(client: TestClient) -> None:
    xlsx = client.get("/ogrenciler.xlsx", params={"kayit": "evet"})
    assert xlsx.headers["content-disposition"] == 'attachment; filename="ogrenciler.xlsx"'
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0][:3] == ["Öğrenci no", "Ad", "Soyad"]
    assert [r[0] for r in rows[1:]] == ["900", "901"]
    assert rows[1][2] == "'=HYPERLINK(1)"
    assert rows[1][-2:] == ["evet", "evet"]
    assert rows[2][-2:] == ["evet", "hayır"]

    text = client.get("/ogrenciler.csv", params={"kayit": "evet"}).content.decode("utf-8-sig")
    parsed = list(csv.reader(io.StringIO(text)))
    assert [r[0] for r in parsed] == ["Öğrenci no", "900", "901"]
    assert parsed[1][2] == "'=HYPERLINK(1)"


def test_the_pages_need_a_session(db: Database, settings: Settings) -> None:
    with TestClient(create_app(settings), base_url="https://testserver") as anonymous:
        for path in ("/ogrenciler", "/ogrenciler.xlsx", "/ogrenciler.csv"):
            answer = anonymous.get(path, follow_redirects=False)
            assert (answer.status_code, answer.headers["location"]) == (303, "/giris")
