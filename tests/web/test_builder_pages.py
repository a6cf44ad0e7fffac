"""The campaign builder: choices and the live count stay within the caller's scope; a form
is checked by the campaign file's rules with every problem shown at its field; a valid
form, an imported file and a copied campaign become drafts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Campaign, Role
from campaigns.core.settings import Settings
from campaigns.definitions.campaign_file import load_definition
from tests.support import factories
from tests.support.paths import EXAMPLE
from tests.support.web import client_as, csrf_of

ADVISOR = "kemal.isik@universite.example.edu.tr"


@pytest.fixture
def advisor(db: Database, settings: Settings) -> Iterator[TestClient]:
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
        session.add_all(
            [
                factories.student(student_no="5001"),
                factories.student(student_no="5002", department="Elektrik Mühendisliği"),
                factories.student(student_no="5003", graduation_term="2020-2021 Güz"),
                # Another advisor's student: not a choice, not counted.
                factories.student(
                    student_no="5004", faculty="Tıp Fakültesi", advisor_email="baska@example.edu.tr"
                ),
            ]
        )
    client = client_as(settings, ADVISOR)
    yield client
    client.__exit__(None, None, None)


def filled(token: str, **changes: str | list[str]) -> dict[str, str | list[str]]:
    form: dict[str, str | list[str]] = {
        "csrf_token": token,
        "timezone": "Europe/Istanbul",
        "name": "Güz dönemi kayıt hatırlatması",
        "audience-graduation_terms": ["2019-2020 Bahar"],
        "window-start": "09:00",
        "window-end": "20:00",
        "goal-url": "https://mezun.universite.example.edu.tr/kayit",
        "wave-0-name": "duyuru",
        "wave-0-offset": "0s",
        "wave-0-channel-0": "email",
        "wave-0-template": "registration_announcement",
        "wave-0-who": "everyone",
        "wave-1-name": "hatirlatma",
        "wave-1-offset": "3d",
        "wave-1-channel-0": "sms",
        "wave-1-channel-1": "email",
        "wave-1-template": "registration_reminder",
        "wave-1-who": "form_missing",
        "action": "save",
    }
    form.update(changes)
    return form


def stored(db: Database) -> int:
    with db.session() as session:
        return session.scalar(select(func.count()).select_from(Campaign)) or 0


def test_choices_and_the_count_stay_within_scope(advisor: TestClient) -> None:
    page = advisor.get("/kampanyalar/yeni")
    assert page.status_code == 200
    assert 'value="Elektrik Mühendisliği"' in page.text
    assert 'value="2020-2021 Güz"' in page.text
    assert "Tıp Fakültesi" not in page.text
    assert "<strong>3 öğrenci</strong>" in page.text

    counted = advisor.post(
        "/kampanyalar/yeni/kitle",
        data={
            "csrf_token": csrf_of(page.text),
            "audience-graduation_terms": ["2019-2020 Bahar"],
            "audience-departments": ["Elektrik Mühendisliği", "Bilgisayar Mühendisliği"],
        },
    )
    assert counted.text.strip() == "<strong>2 öğrenci</strong>"


def test_a_valid_form_becomes_the_same_draft_as_its_file(advisor: TestClient, db: Database) -> None:
    token = csrf_of(advisor.get("/kampanyalar/yeni").text)
    saved = advisor.post("/kampanyalar/yeni", data=filled(token))
    assert saved.status_code == 303
    with db.session() as session:
        campaign = session.scalars(select(Campaign)).one()
        assert saved.headers["location"] == f"/kampanyalar/{campaign.id}"
        assert campaign.scope_advisor == ADVISOR
        assert campaign.created_by == ADVISOR
        first, second = campaign.waves
        assert (first.channels, first.only_unconverted) == (["email"], False)
        assert (second.channels, second.offset_seconds) == (["sms", "email"], 3 * 86400)
        assert second.options == {"goal_stage": "form_submitted", "requires_stage": "registered"}
        document = campaign.definition
        campaign_id = campaign.id
    # The campaign file it downloads as reads back as the same definition.
    exported = advisor.get(f"/kampanyalar/{campaign_id}.toml").text
    assert load_definition(exported, default_timezone="UTC").to_document() == document


def test_every_problem_is_shown_at_its_field_and_nothing_is_stored(
    advisor: TestClient, db: Database
) -> None:
    token = csrf_of(advisor.get("/kampanyalar/yeni").text)
    form = filled(
        token,
        name="",
        **{"wave-1-offset": "3x", "wave-1-channel-0": "", "wave-1-channel-1": ""},
    )
    answer = advisor.post("/kampanyalar/yeni", data=form)

    assert answer.status_code == 422
    assert stored(db) == 0
    assert "Kaydetmeden önce bunları düzeltin" in answer.text
    assert '<a href="#name">name</a>' in answer.text
    assert '<a href="#wave-1-offset">waves[1].offset</a>' in answer.text
    assert '<a href="#wave-1-channel-0">waves[1].channels</a>' in answer.text
    assert 'id="wave-1-offset" name="wave-1-offset" type="text" maxlength="20" value="3x"' in (
        answer.text
    )
    assert 'aria-describedby="wave-1-offset-error" aria-invalid="true"' in answer.text
    # What was typed stays: the rest of the form is filled as it was sent.
    assert 'value="hatirlatma"' in answer.text


def test_check_counts_without_storing_and_rows_are_added_and_removed(
    advisor: TestClient, db: Database
) -> None:
    token = csrf_of(advisor.get("/kampanyalar/yeni").text)
    checked = advisor.post("/kampanyalar/yeni", data=filled(token, action="check"))
    assert checked.status_code == 200
    assert "Kampanya 2 öğrenciye ulaşır" in checked.text
    assert stored(db) == 0

    added = advisor.post("/kampanyalar/yeni", data=filled(token, action="add"))
    assert 'id="wave-2-name"' in added.text
    removed = advisor.post("/kampanyalar/yeni", data=filled(token, action="remove-0"))
    assert 'id="wave-1-name"' not in removed.text
    assert 'value="hatirlatma"' in removed.text
    assert 'value="duyuru"' not in removed.text


def test_a_campaign_file_is_imported_or_its_problems_shown(
    advisor: TestClient, db: Database
) -> None:
    token = csrf_of(advisor.get("/kampanyalar/yeni").text)
    text = EXAMPLE.read_text(encoding="utf-8")
    # The example reaches engineering's 2019-2020 graduates: the advisor's students.
    imported = advisor.post(
        "/kampanyalar/ice-aktar",
        data={"csrf_token": token},
        files={"file": ("kampanya.toml", text.encode(), "application/toml")},
    )
    assert imported.status_code == 303
    assert stored(db) == 1

    broken = text.replace('offset = "3d"', 'offset = "üç gün"')
    refused = advisor.post(
        "/kampanyalar/ice-aktar",
        data={"csrf_token": token},
        files={"file": ("kampanya.toml", broken.encode(), "application/toml")},
    )
    assert refused.status_code == 422
    assert '<a href="#wave-1-offset">waves[1].offset</a>' in refused.text
    assert 'value="hatirlatma-whatsapp"' in refused.text  # the form shows what was read
    syntax = advisor.post(
        "/kampanyalar/ice-aktar",
        data={"csrf_token": token},
        files={"file": ("kampanya.toml", b"name = ", "application/toml")},
    )
    assert "TOML sözdizimi hatası" in syntax.text
    assert stored(db) == 1


def test_a_campaign_is_copied_into_the_builder(advisor: TestClient, db: Database) -> None:
    token = csrf_of(advisor.get("/kampanyalar/yeni").text)
    advisor.post("/kampanyalar/yeni", data=filled(token))
    with db.session() as session:
        campaign_id = session.scalars(select(Campaign.id)).one()
    copy = advisor.get("/kampanyalar/yeni", params={"kopya": campaign_id})
    assert 'value="hatirlatma"' in copy.text
    assert '<option value="form_missing" selected>' in copy.text
    assert 'id="name" name="name" type="text" maxlength="200" value=""' in copy.text
    assert advisor.get("/kampanyalar/yeni", params={"kopya": 999}).status_code == 404


def test_a_form_without_its_token_changes_nothing(advisor: TestClient, db: Database) -> None:
    answer = advisor.post("/kampanyalar/yeni", data=filled("forged"))
    assert answer.status_code == 403
    assert stored(db) == 0
