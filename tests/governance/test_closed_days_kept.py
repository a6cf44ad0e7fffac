"""Closed days people keep (the university's, a faculty's) and students abroad: a faculty's
quiet day holds only its students' messages, a student with a time zone of their own gets
messages in their own sending hours, and only the alumni office and a faculty's coordinator
may close days."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotAllowedError
from campaigns.core.models import AuditEntry, Message, MessageStatus, Role
from campaigns.core.settings import Settings
from campaigns.delivery import sending
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.governance import closed_day_book
from campaigns.governance.closed_day_book import ClosedDayProblem
from campaigns.planning.plan_wave import plan_wave
from campaigns.planning.scheduler import _waves_to_start
from channels.base import Channel
from tests.support import factories
from tests.support.adapters import RecordingAdapter

ENGINEERING = "Mühendislik Fakültesi"
SCIENCE = "Fen Fakültesi"
# Monday 7 December 2026, 10:00 in Istanbul: an ordinary working day.
MONDAY = datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
TODAY = date(2026, 12, 7)
COORDINATOR = Actor("koord@universite.example.edu.tr", Role.COORDINATOR, ENGINEERING)
ADVISOR = Actor("danisman@universite.example.edu.tr", Role.ADVISOR)


def sender_for(db: Database, settings: Settings) -> tuple[WaveSender, RecordingAdapter]:
    adapter = RecordingAdapter()
    settings = settings.model_copy(update={"frequency_caps": ""})
    return WaveSender(db, settings, AdapterPool(settings, dict.fromkeys(Channel, adapter))), adapter


def waiting(db: Database) -> dict[str, datetime | None]:
    """Faculty (or time zone) of each pending message's student → when it is due."""
    with db.session() as session:
        rows = session.execute(
            select(Message.student_id, Message.next_attempt_at, Message.status)
        ).all()
    return {str(r.student_id): r.next_attempt_at for r in rows if r.status is MessageStatus.PENDING}


def test_a_facultys_quiet_day_holds_only_its_students(db: Database, settings: Settings) -> None:
    with db.session() as session:
        engineer = factories.student(faculty=ENGINEERING)
        physicist = factories.student(faculty=SCIENCE)
        session.add_all([engineer, physicist])
        campaign = factories.campaign(
            session, [{"channels": ["sms"]}], window=(time(9), time(17)), now=MONDAY
        )
        wave_id = campaign.waves[0].id
        closed_day_book.close(
            session, COORDINATOR, TODAY, TODAY, "Fakülte kurulu", ENGINEERING.upper(), TODAY
        )
        engineer_id, physicist_id = engineer.id, physicist.id
        phones = {engineer.phone: ENGINEERING, physicist.phone: SCIENCE}
    with db.session() as session:
        plan_wave(session, wave_id, now=MONDAY)
    sender, adapter = sender_for(db, settings)
    sender.send_batch(wave_id, now=MONDAY)
    assert [phones[m.to] for m in adapter.sent] == [SCIENCE]
    # The engineer waits for Tuesday 09:00 in Istanbul, no attempt used.
    assert waiting(db) == {str(engineer_id): datetime(2026, 12, 8, 6, 0, tzinfo=UTC)}
    with db.session() as session:
        message = session.scalars(select(Message).where(Message.student_id == engineer_id)).one()
        assert message.attempts == 0
    sender.send_batch(wave_id, now=datetime(2026, 12, 8, 6, 0, tzinfo=UTC))
    assert [phones[m.to] for m in adapter.sent] == [SCIENCE, ENGINEERING]
    assert physicist_id not in {int(k) for k in waiting(db)}


def test_a_student_abroad_gets_messages_in_their_own_hours(
    db: Database, settings: Settings
) -> None:
    evening = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 20:00 Istanbul, 12:00 New York
    with db.session() as session:
        at_home = factories.student()
        in_new_york = factories.student(timezone="America/New_York")
        in_tokyo = factories.student(timezone="Asia/Tokyo")  # 02:00 on Tuesday
        session.add_all([at_home, in_new_york, in_tokyo])
        campaign = factories.campaign(
            session, [{"channels": ["email"]}], window=(time(9), time(18)), now=evening
        )
        wave_id = campaign.waves[0].id
        ids = {"home": at_home.id, "ny": in_new_york.id, "tokyo": in_tokyo.id}
    with db.session() as session:
        plan_wave(session, wave_id, now=evening)
    # The scheduler wakes the wave although Istanbul's hours are over.
    assert _waves_to_start(db, settings, evening) == [wave_id]
    sender, adapter = sender_for(db, settings)
    sender.send_batch(wave_id, now=evening)
    assert len(adapter.sent) == 1
    assert waiting(db) == {
        str(ids["home"]): datetime(2026, 12, 8, 6, 0, tzinfo=UTC),  # 09:00 Istanbul
        str(ids["tokyo"]): datetime(2026, 12, 8, 0, 0, tzinfo=UTC),  # 09:00 Tokyo
    }


def test_without_students_abroad_a_closed_window_claims_nothing(
    db: Database, settings: Settings
) -> None:
    evening = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)
    with db.session() as session:
        session.add(factories.student())
        campaign = factories.campaign(
            session, [{"channels": ["email"]}], window=(time(9), time(18)), now=evening
        )
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=evening)
    assert _waves_to_start(db, settings, evening) == []
    sender, _ = sender_for(db, settings)
    assert sender.send_batch(wave_id, now=evening).idle == "window_closed"


def test_only_the_alumni_office_and_the_facultys_coordinator_keep_closed_days(
    db: Database,
) -> None:
    with db.session() as session:
        session.add_all(
            [factories.student(faculty=ENGINEERING), factories.student(faculty=SCIENCE)]
        )
        session.flush()
        with pytest.raises(NotAllowedError):
            closed_day_book.close(session, COORDINATOR, TODAY, TODAY, "Kurul", SCIENCE, TODAY)
        with pytest.raises(NotAllowedError):
            closed_day_book.close(session, COORDINATOR, TODAY, TODAY, "Sınav", None, TODAY)
        with pytest.raises(NotAllowedError):
            closed_day_book.close(session, ADVISOR, TODAY, TODAY, "Sınav", ENGINEERING, TODAY)
        kept = closed_day_book.close(
            session,
            Actor.operator(),
            TODAY,
            TODAY + timedelta(days=4),
            "Final sınavları",
            None,
            TODAY,
        )
        kept_id = kept.id
        with pytest.raises(NotAllowedError):
            closed_day_book.reopen(session, COORDINATOR, kept_id)
        closed_day_book.reopen(session, Actor.operator(), kept_id)
        actions = session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == [audit.CALENDAR_CLOSE, audit.CALENDAR_REOPEN]


@pytest.mark.parametrize(
    ("first", "last", "reason", "faculty", "field"),
    [
        (TODAY, TODAY, "  ", None, "reason"),
        (TODAY, TODAY, "x" * 201, None, "reason"),
        (TODAY, TODAY - timedelta(days=1), "Sınav", None, "last_day"),
        (TODAY - timedelta(days=3), TODAY - timedelta(days=1), "Sınav", None, "last_day"),
        (TODAY, TODAY + timedelta(days=500), "Sınav", None, "last_day"),
        (TODAY, TODAY, "Sınav", "Olmayan Fakülte", "faculty"),
    ],
)
def test_a_closed_day_that_cannot_be_kept_names_its_field(
    db: Database, first: date, last: date, reason: str, faculty: str | None, field: str
) -> None:
    with db.session() as session:
        session.add(factories.student())
        session.flush()
        with pytest.raises(ClosedDayProblem) as raised:
            closed_day_book.close(session, Actor.operator(), first, last, reason, faculty, TODAY)
    assert raised.value.field == field
    assert " / " in str(raised.value)  # Turkish, then English


def test_the_calendar_lists_holidays_configured_and_kept_days_in_order(
    db: Database, settings: Settings
) -> None:
    settings = settings.model_copy(
        update={"holidays": "TR", "closed_days": "2027-01-04..2027-01-05 Bütünleme"}
    )
    with db.session() as session:
        session.add(factories.student(faculty=ENGINEERING))
        session.flush()
        closed_day_book.close(
            session,
            COORDINATOR,
            date(2026, 12, 28),
            date(2026, 12, 31),
            "Final",
            ENGINEERING,
            TODAY,
        )
        spans = closed_day_book.upcoming(session, settings, TODAY, days=40)
    assert [(s.first.isoformat(), s.last.isoformat(), s.kind, s.faculty) for s in spans] == [
        ("2026-12-28", "2026-12-31", "faculty", ENGINEERING),
        ("2027-01-01", "2027-01-01", "holiday", None),
        ("2027-01-04", "2027-01-05", "settings", None),
    ]
    assert spans[1].reason == "Yılbaşı"


def test_a_batch_whose_students_all_wait_does_not_end_the_chain(
    db: Database, settings: Settings
) -> None:
    evening = datetime(2026, 12, 7, 17, 0, tzinfo=UTC)  # 20:00 Istanbul, 12:00 New York
    with db.session() as session:
        session.add_all([factories.student(), factories.student()])
        session.add(factories.student(timezone="America/New_York"))
        campaign = factories.campaign(
            session, [{"channels": ["email"]}], window=(time(9), time(18)), now=evening
        )
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=evening)
    sender, adapter = sender_for(db, settings.model_copy(update={"batch_size": 2}))
    first = sender.send_batch(wave_id, now=evening)
    assert (first.claimed, first.more) == (0, True)  # both at home: they wait
    assert first.after is not None
    second = sender.send_batch(wave_id, now=evening, after=first.after)
    assert second.claimed == 1
    assert len(adapter.sent) == 1  # the student in New York


def test_a_day_closed_while_a_sender_runs_reaches_it(
    db: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as session:
        session.add_all([factories.student() for _ in range(2)])
        campaign = factories.campaign(
            session, [{"channels": ["sms"]}], window=(time(9), time(17)), now=MONDAY
        )
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=MONDAY)
    sender, adapter = sender_for(db, settings.model_copy(update={"batch_size": 1}))
    sender.send_batch(wave_id, now=MONDAY)
    assert len(adapter.sent) == 1
    with db.session() as session:
        closed_day_book.close(session, Actor.operator(), TODAY, TODAY, "Yas günü", None, TODAY)
    monkeypatch.setattr(sending, "CALENDAR_SECONDS", 0.0)  # the sender's reading is old
    assert sender.send_batch(wave_id, now=MONDAY).idle == "window_closed"
    assert len(adapter.sent) == 1
