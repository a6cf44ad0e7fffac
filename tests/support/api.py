"""The advisors' API under test: settings and app on a test database, users with tokens, and
a small cohort spread over two faculties and three advisors."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database, database
from campaigns.core.models import Campaign, CampaignStatus, Role, Student
from campaigns.core.settings import Settings, get_settings
from campaigns.http.app import create_app
from tests.support import factories

ENGINEERING = "Mühendislik Fakültesi"
SCIENCE = "Fen-Edebiyat Fakültesi"
TERM = "2019-2020 Bahar"

ADVISOR_A = "ayse.kaya@universite.example.edu.tr"
ADVISOR_A_IMPORTED = "Ayse.Kaya@Universite.example.edu.tr"  # as the registrar spells it once
ADVISOR_B = "mehmet.oz@universite.example.edu.tr"
ADVISOR_C = "zeynep.ak@universite.example.edu.tr"
COORDINATOR = "muh.koordinator@universite.example.edu.tr"
ADMIN = "mezun@universite.example.edu.tr"

DEFINITION: dict[str, Any] = {
    "name": "2019-2020 kayıt kampanyası",
    "send_window": "00:00-24:00",
    "goal_url": "https://mezun.universite.example.edu.tr/kayit",
    "audience": {"graduation_terms": [TERM]},
    "waves": [
        {
            "name": "duyuru",
            "offset": "0s",
            "channels": ["email", "sms"],
            "template": "registration_announcement",
        },
        {
            "name": "hatirlatma",
            "offset": "3d",
            "channels": ["sms", "email"],
            "template": "registration_reminder",
        },
    ],
}


def api_settings(db: Database, tmp_path: Path, **values: Any) -> Settings:
    return Settings(
        database_url=db.url,
        outbox_dir=tmp_path / "outbox",
        public_url="https://kampanya.example.edu.tr",
        _env_file=None,  # type: ignore[call-arg]
        **values,
    )


@contextmanager
def api_client(settings: Settings) -> Iterator[TestClient]:
    """A client of the whole app (webhooks, pages and API) on ``settings``."""
    with TestClient(create_app(settings)) as client:
        yield client
    database(settings.database_url).dispose()


@contextmanager
def cohort_api(db: Database, tmp_path: Path) -> Iterator[tuple[TestClient, Cast]]:
    """The cohort, the cast and a client of the app on the default API settings."""
    add_cohort(db)
    cast = add_cast(db)
    with api_client(api_settings(db, tmp_path)) as client:
        yield client, cast


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def add_user(
    db: Database, email: str, role: Role, *, faculty: str | None = None, phone: str | None = None
) -> str:
    """A user; returns their token."""
    with db.session() as session:
        return users.add_user(
            session, Actor.operator(), email=email, role=role, faculty=faculty, phone=phone
        ).token


@dataclass(frozen=True)
class Cast:
    """Tokens of two advisors, the engineering coordinator and an admin."""

    advisor_a: str
    advisor_b: str
    coordinator: str
    admin: str


def add_cast(db: Database) -> Cast:
    return Cast(
        advisor_a=add_user(db, ADVISOR_A, Role.ADVISOR, phone="0532 100 00 01"),
        advisor_b=add_user(db, ADVISOR_B, Role.ADVISOR),
        # Spelled differently from the student data on purpose: faculties match folded.
        coordinator=add_user(db, COORDINATOR, Role.COORDINATOR, faculty="muhendislik fakultesi"),
        admin=add_user(db, ADMIN, Role.ADMIN, phone="0532 100 00 09"),
    )


def add_cohort(db: Database) -> None:
    """Students 1001, 1002 (advisor A, whose address the registrar spells in capitals),
    1003 (advisor B) in engineering; 2001 (advisor C) in science. All of one term."""
    with db.session() as session:
        session.add_all(
            [
                factories.student(
                    student_no="1001",
                    first_name="Işıl",
                    last_name="Çelik",
                    advisor_email=ADVISOR_A_IMPORTED,
                ),
                factories.student(
                    student_no="1002",
                    first_name="Ömer",
                    last_name="Şahin",
                    advisor_email=ADVISOR_A,
                    department="Elektrik Mühendisliği",
                    contact_consent=False,
                ),
                factories.student(
                    student_no="1003", first_name="Can", last_name="Ateş", advisor_email=ADVISOR_B
                ),
                factories.student(
                    student_no="2001",
                    first_name="Deniz",
                    last_name="Yıldız",
                    faculty=SCIENCE,
                    department="Fizik",
                    degree="yüksek lisans",
                    advisor_email=ADVISOR_C,
                ),
            ]
        )


def add_campaign(
    db: Database,
    *,
    faculty: str | None,
    advisor: str | None,
    audience: dict[str, list[str]] | None = None,
    status: CampaignStatus = CampaignStatus.DRAFT,
) -> int:
    """A campaign with two email waves, visible to the given faculty / advisor."""
    with db.session() as session:
        campaign = factories.campaign(
            session,
            [
                {"name": "duyuru", "template": "registration_announcement"},
                {"name": "hatirlatma", "channels": ["sms", "email"]},
            ],
            audience=audience or {"graduation_terms": [TERM]},
            status=status,
        )
        campaign.scope_faculty = faculty
        campaign.scope_advisor = advisor
        return campaign.id


def campaign_status(db: Database, campaign_id: int) -> CampaignStatus:
    with db.session() as session:
        campaign = session.get(Campaign, campaign_id)
        assert campaign is not None
        return campaign.status


def student_numbers(rows: list[dict[str, Any]]) -> list[str]:
    return [row["student_no"] for row in rows]


def count_students(db: Database) -> int:
    with db.session() as session:
        return session.query(Student).count()


@contextmanager
def cli_on(monkeypatch: pytest.MonkeyPatch, settings: Settings, workdir: Path) -> Iterator[None]:
    """The CLI pointed at ``settings``' database and outbox, for as long as this lasts."""
    monkeypatch.chdir(workdir)
    monkeypatch.setenv("CAMPAIGNS_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("CAMPAIGNS_OUTBOX_DIR", str(settings.outbox_dir))
    monkeypatch.setenv("CAMPAIGNS_PUBLIC_URL", settings.public_url)
    monkeypatch.delenv("CAMPAIGNS_BROKER_URL", raising=False)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()
