"""Privacy switches: a campaign (or the installation) that does not track links sends the
alumni system's own address and its report says clicks are not measured; a commercial
campaign reaches only students whose commercial consent is recorded in İYS (at planning
and again at send time) and tells the SMS operator so; the privacy notice is configurable
and shown on the students' pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import InvalidDefinitionError
from campaigns.core.models import (
    Campaign,
    Message,
    MessageStatus,
    MessageType,
    SkipReason,
    Student,
)
from campaigns.core.settings import Settings
from campaigns.definitions import drafts
from campaigns.definitions.campaign_file import parse_definition
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.planning.plan_wave import plan_wave
from campaigns.planning.preflight import preflight
from campaigns.reports.funnel import Dimension, campaign_report
from channels.base import Channel
from tests.support import factories
from tests.support.adapters import RecordingAdapter
from tests.support.api import DEFINITION, add_cohort
from tests.support.http import client_for, sent_tokens

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
GOAL = "https://mezun.universite.example.edu.tr/kayit"


def planned(db: Database, definition: dict[str, object], students: list[Student]) -> int:
    """The id of a planned SMS wave of a campaign with ``definition``'s switches."""
    with db.session() as session:
        session.add_all(students)
        campaign = factories.campaign(session, [{"channels": ["sms"]}], now=NOW)
        campaign.definition = definition
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=NOW)
    return wave_id


def send(db: Database, settings: Settings, wave_id: int) -> RecordingAdapter:
    adapter = RecordingAdapter()
    settings = settings.model_copy(update={"frequency_caps": ""})
    WaveSender(db, settings, AdapterPool(settings, dict.fromkeys(Channel, adapter))).send_batch(
        wave_id, now=NOW
    )
    return adapter


@pytest.mark.parametrize(
    ("installation", "campaign", "tracked"),
    [(True, True, True), (True, False, False), (False, True, False)],
)
def test_without_link_tracking_messages_link_straight_to_the_alumni_system(
    db: Database, settings: Settings, installation: bool, campaign: bool, tracked: bool
) -> None:
    settings = settings.model_copy(update={"link_tracking": installation})
    wave_id = planned(db, {"link_tracking": campaign}, [factories.student()])
    [message] = send(db, settings, wave_id).sent
    assert (f"{settings.public_url}/r/" in message.text) is tracked
    assert (GOAL in message.text) is not tracked
    with db.session() as session:
        campaign_id = session.scalars(select(Campaign.id)).one()
        report = campaign_report(
            session, campaign_id, Dimension.channel, link_tracking=installation
        )
    assert report.campaign["clicks_measured"] is tracked
    if tracked:
        assert report.totals["clicked"] == 0
    else:  # not measured is not zero
        assert report.totals["clicked"] is None
        assert all(row["clicked"] is None for row in report.rows)


def test_a_commercial_campaign_reaches_only_students_with_commercial_consent(
    db: Database, settings: Settings
) -> None:
    consenting = factories.student(commercial_consent=True)
    withdrawn = factories.student(commercial_consent=True)
    without = factories.student()
    wave_id = planned(db, {"message_type": "commercial"}, [consenting, withdrawn, without])
    with db.session() as session:
        skipped = session.execute(
            select(Message.student_id, Message.skip_reason).where(
                Message.status == MessageStatus.SKIPPED
            )
        ).all()
        assert skipped == [(without.id, SkipReason.NO_COMMERCIAL_CONSENT)]
        # Withdrawn in İYS after planning: checked again when it is sent.
        session.execute(
            update(Student).where(Student.id == withdrawn.id).values(commercial_consent=False)
        )
    adapter = send(db, settings, wave_id)
    assert [m.to for m in adapter.sent] == [consenting.phone]
    assert all(m.commercial for m in adapter.sent)
    with db.session() as session:
        reason = session.scalar(
            select(Message.skip_reason).where(Message.student_id == withdrawn.id)
        )
    assert reason is SkipReason.NO_COMMERCIAL_CONSENT


def test_informational_messages_need_no_commercial_consent(
    db: Database, settings: Settings
) -> None:
    wave_id = planned(db, {}, [factories.student(commercial_consent=False)])
    [message] = send(db, settings, wave_id).sent
    assert message.commercial is False


def test_the_message_type_is_read_in_either_language_and_a_wrong_one_is_named() -> None:
    read = parse_definition({**DEFINITION, "message_type": "Ticari"}, default_timezone="UTC")
    assert read.message_type is MessageType.COMMERCIAL
    assert read.to_document()["message_type"] == "commercial"
    with pytest.raises(InvalidDefinitionError) as raised:
        parse_definition({**DEFINITION, "message_type": "reklam"}, default_timezone="UTC")
    [problem] = raised.value.problems
    assert problem.location == "message_type"
    assert problem.reason.startswith("bilinmeyen ileti türü 'reklam'")


def test_the_privacy_notice_is_shown_on_the_students_pages(
    db: Database, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={
            "privacy_notice": "Verileriniz <yalnız> kayıt hatırlatması için işlenir.",
            "privacy_notice_url": "https://universite.example.edu.tr/kvkk",
        }
    )
    [token] = sent_tokens(db, 1).values()
    with client_for(settings) as client:
        for answer in (
            client.get(f"/u/{token}"),
            client.post(f"/u/{token}"),
            client.get("/r/gecersiz-baglanti"),
            client.get("/u/gecersiz"),
        ):
            assert "KVKK aydınlatma metni" in answer.text
            assert "Verileriniz &lt;yalnız&gt; kayıt hatırlatması için işlenir." in answer.text
            assert 'href="https://universite.example.edu.tr/kvkk"' in answer.text


def test_the_launch_checklist_names_the_switches(db: Database, settings: Settings) -> None:
    add_cohort(db)
    definition = {**DEFINITION, "message_type": "ticari", "link_tracking": False}
    with db.session() as session:
        campaign_id = drafts.create(session, Actor.operator(), definition, settings=settings).id
    checked = preflight(db, settings, {}, campaign_id, now=NOW)
    found = {f.subject: f.level for f in checked.findings}
    assert found["ticari ileti / commercial"] == "warning"
    assert found["bağlantı izleme / link tracking"] == "ok"
    forecast = checked.waves[0]
    assert forecast.skipped.get("no_commercial_consent") == 3  # nobody in the cohort gave it
