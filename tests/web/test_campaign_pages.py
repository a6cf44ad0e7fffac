"""Campaign pages: the list with progress, a campaign's report as chart and table (and as
files), pause/resume/cancel through forms with CSRF, the campaign file; another
advisor's campaign is a 404."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy import update

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Campaign, CampaignStatus, Role
from campaigns.core.settings import Settings
from campaigns.definitions.campaign_file import load_definition
from campaigns.definitions.drafts import create
from tests.support.paths import EXAMPLE
from tests.support.scenarios import two_wave_report
from tests.support.web import client_as, csrf_of

ADMIN = "yonetici@universite.example.edu.tr"
OTHER = "baska.danisman@universite.example.edu.tr"


@pytest.fixture
def campaign_id(db: Database, settings: Settings) -> int:
    found = two_wave_report(db, settings)
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADMIN, role=Role.ADMIN)
        users.add_user(session, Actor.operator(), email=OTHER, role=Role.ADVISOR)
    return found


@pytest.fixture
def admin(settings: Settings, campaign_id: int) -> Iterator[TestClient]:
    client = client_as(settings, ADMIN)
    yield client
    client.__exit__(None, None, None)


def test_the_list_shows_status_and_progress(admin: TestClient, campaign_id: int) -> None:
    page = admin.get("/kampanyalar")
    assert page.status_code == 200
    assert f'href="/kampanyalar/{campaign_id}">2019-2020 Mezunları</a>' in page.text
    assert "gönderiliyor" in page.text  # active
    # Every planned message of both waves is settled (sent, failed or skipped).
    assert "%100" in page.text


def test_the_report_is_a_chart_and_a_table_by_any_breakdown(
    admin: TestClient, campaign_id: int
) -> None:
    page = admin.get(f"/kampanyalar/{campaign_id}")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert 'role="img"' in page.text
    # Active campaign: the report asks for itself again.
    assert f'hx-get="/kampanyalar/{campaign_id}/rapor?kirilim=dalga"' in page.text
    assert '<th scope="row">duyuru</th>' in page.text
    assert '<th scope="row">hatirlatma</th>' in page.text

    by_department = admin.get(f"/kampanyalar/{campaign_id}/rapor", params={"kirilim": "bolum"})
    assert by_department.text.lstrip().startswith('<div id="campaign"')
    assert "<html" not in by_department.text
    assert '<th scope="row">Elektrik Mühendisliği</th>' in by_department.text

    by_channel = admin.get(f"/kampanyalar/{campaign_id}?kirilim=kanal")
    assert '<th scope="row">E-posta</th>' in by_channel.text


def test_the_report_downloads_as_csv_and_xlsx(admin: TestClient, campaign_id: int) -> None:
    text = admin.get(f"/kampanyalar/{campaign_id}/rapor.csv", params={"kirilim": "fakulte"})
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(text.text.removeprefix("\ufeff"))))
    assert rows[0][:3] == ["Fakülte", "Ulaşılan", "Gönderilen"]
    assert [row[0] for row in rows[1:]] == ["Mühendislik Fakültesi", "Tıp Fakültesi", "Toplam"]

    book = admin.get(f"/kampanyalar/{campaign_id}/rapor.xlsx")
    sheet = load_workbook(io.BytesIO(book.content)).active
    assert sheet is not None
    assert [c.value for c in sheet["A"]][1:] == ["duyuru", "hatirlatma", "Toplam"]
    assert admin.get(f"/kampanyalar/{campaign_id}/rapor.pdf").status_code == 404


def test_pause_resume_and_cancel_need_the_forms_token(
    admin: TestClient, db: Database, campaign_id: int
) -> None:
    page = admin.get(f"/kampanyalar/{campaign_id}")
    forged = admin.post(f"/kampanyalar/{campaign_id}/duraklat", data={"csrf_token": "x"})
    assert forged.status_code == 403
    token = csrf_of(page.text)

    def status() -> CampaignStatus:
        with db.session() as session:
            found = session.get(Campaign, campaign_id)
            assert found is not None
            return found.status

    assert status() is CampaignStatus.ACTIVE
    paused = admin.post(f"/kampanyalar/{campaign_id}/duraklat", data={"csrf_token": token})
    assert paused.headers["location"] == f"/kampanyalar/{campaign_id}"
    assert status() is CampaignStatus.PAUSED
    assert "Sürdür" in admin.get(f"/kampanyalar/{campaign_id}").text

    again = admin.post(f"/kampanyalar/{campaign_id}/duraklat", data={"csrf_token": token})
    assert again.status_code == 409
    assert "Bu şimdi yapılamaz" in again.text

    admin.post(f"/kampanyalar/{campaign_id}/surdur", data={"csrf_token": token})
    assert status() is CampaignStatus.ACTIVE
    admin.post(f"/kampanyalar/{campaign_id}/iptal", data={"csrf_token": token})
    assert status() is CampaignStatus.CANCELLED
    assert "hx-get" not in admin.get(f"/kampanyalar/{campaign_id}").text


def test_the_campaign_file_reads_back_as_the_same_campaign(
    admin: TestClient, db: Database, settings: Settings, campaign_id: int
) -> None:
    source = EXAMPLE
    with db.session() as session:
        stored = create(session, Actor.operator(), source.read_text(), settings=settings)
        stored_id, document = stored.id, stored.definition
    exported = admin.get(f"/kampanyalar/{stored_id}.toml")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].endswith('.toml"')
    again = load_definition(exported.text, default_timezone="UTC")
    assert again.to_document() == document


def test_another_advisors_campaign_is_not_there(
    settings: Settings, db: Database, campaign_id: int
) -> None:
    with db.session() as session:
        session.execute(
            update(Campaign).values(scope_advisor="kemal.isik@universite.example.edu.tr")
        )
    other = client_as(settings, OTHER)
    try:
        assert f"/kampanyalar/{campaign_id}" not in other.get("/kampanyalar").text
        for path in ("", "/rapor", "/rapor.csv", ".toml"):
            assert other.get(f"/kampanyalar/{campaign_id}{path}").status_code == 404
        token = csrf_of(other.get("/kampanyalar").text)
        refused = other.post(f"/kampanyalar/{campaign_id}/iptal", data={"csrf_token": token})
        assert refused.status_code == 404
    finally:
        other.__exit__(None, None, None)
