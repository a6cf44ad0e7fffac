"""Frequency caps across campaigns, through the sender: a student's second SMS of the day
from another campaign waits for the next local day (within the sending hours), is skipped
as ``capped`` once its wave's time is over, the week counts too, a refused send gives its
slot back, and students the send-time checks skip take no slot."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select, update

from campaigns.core.db import Database
from campaigns.core.models import ContactCount, Message, MessageStatus, Student, Wave
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.recovery import recover_stale
from campaigns.delivery.sending import WaveSender
from campaigns.governance.cap_rules import Limits, parse_caps
from campaigns.governance.caps import FrequencyCaps, Refused, Wanted
from campaigns.planning.plan_wave import plan_wave
from campaigns.reports.funnel import campaign_report
from channels.base import Channel, InFlight, OutcomeUnknownError, PermanentError
from tests.support import factories
from tests.support.adapters import RecordingAdapter

# Tuesday 2 June 2026, 11:00 in Istanbul.
MORNING = datetime(2026, 6, 2, 8, 0, tzinfo=UTC)


def capped(settings: Settings, caps: str = "sms=1/day,3/week", **more: object) -> Settings:
    return settings.model_copy(update={"frequency_caps": caps, **more})


def campaign_wave(
    db: Database,
    at: datetime,
    *,
    window: tuple[time, time] = (time(0), time(0)),
    waves: int = 1,
) -> int:
    """A campaign with SMS waves a day apart (the first at ``at``) to every student; the
    first wave, planned."""
    with db.session() as session:
        campaign = factories.campaign(
            session,
            [
                {"channels": ["sms"], "start_at": at + timedelta(days=i), "only_unconverted": False}
                for i in range(waves)
            ],
            window=window,
            now=at,
        )
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=at)
    return wave_id


def send(db: Database, settings: Settings, wave_id: int, at: datetime) -> RecordingAdapter:
    adapter = RecordingAdapter()
    pool = AdapterPool(settings, dict.fromkeys(Channel, adapter))
    WaveSender(db, settings, pool).send_batch(wave_id, now=at)
    return adapter


def rows(db: Database, wave_id: int) -> list[tuple[MessageStatus, str | None, datetime | None]]:
    with db.session() as session:
        return [
            (m.status, m.skip_reason.value if m.skip_reason else None, m.next_attempt_at)
            for m in session.scalars(
                select(Message).where(Message.wave_id == wave_id).order_by(Message.id)
            )
        ]


@pytest.fixture
def students(db: Database) -> None:
    with db.session() as session:
        session.add_all([factories.student() for _ in range(3)])


@pytest.mark.usefixtures("students")
def test_a_second_sms_the_same_day_waits_for_the_next_day(db: Database, settings: Settings) -> None:
    settings = capped(settings)
    first = campaign_wave(db, MORNING)
    second = campaign_wave(db, MORNING)
    assert len(send(db, settings, first, MORNING).sent) == 3
    later = MORNING + timedelta(hours=2)
    assert send(db, settings, second, later).sent == []
    midnight = datetime(2026, 6, 2, 21, 0, tzinfo=UTC)  # 3 June 00:00 in Istanbul
    assert rows(db, second) == [(MessageStatus.PENDING, None, midnight)] * 3
    with db.session() as session:
        attempts = session.scalars(select(Message.attempts).where(Message.wave_id == second))
        assert set(attempts) == {0}  # waiting for a slot is not an attempt
    # Before midnight nothing is due; from midnight the second campaign's SMS goes.
    assert send(db, settings, second, midnight - timedelta(minutes=1)).sent == []
    assert len(send(db, settings, second, midnight).sent) == 3


@pytest.mark.usefixtures("students")
def test_the_next_slot_is_within_the_sending_hours(db: Database, settings: Settings) -> None:
    settings = capped(settings)
    send(db, settings, campaign_wave(db, MORNING), MORNING)
    second = campaign_wave(db, MORNING, window=(time(9), time(17)))
    send(db, settings, second, MORNING)
    nine = datetime(2026, 6, 3, 6, 0, tzinfo=UTC)  # 3 June 09:00 in Istanbul
    assert {at for _, _, at in rows(db, second)} == {nine}


@pytest.mark.usefixtures("students")
def test_a_slot_past_the_waves_time_is_skipped_as_capped(db: Database, settings: Settings) -> None:
    settings = capped(settings, cap_wait_hours=6)
    send(db, settings, campaign_wave(db, MORNING), MORNING)
    second = campaign_wave(db, MORNING)
    send(db, settings, second, MORNING)
    assert rows(db, second) == [(MessageStatus.SKIPPED, "capped", None)] * 3
    with db.session() as session:
        wave = session.get(Wave, second)
        assert wave is not None
        report = campaign_report(session, wave.campaign_id)
    assert report.totals["capped"] == 3


@pytest.mark.usefixtures("students")
def test_the_next_wave_of_the_campaign_ends_the_wait(db: Database, settings: Settings) -> None:
    settings = capped(settings, caps="sms=1/day")
    send(db, settings, campaign_wave(db, MORNING), MORNING)
    # Its next wave starts tomorrow at 11:00, after tomorrow's first slot (00:00): it waits.
    second = campaign_wave(db, MORNING, waves=2)
    send(db, settings, second, MORNING)
    assert {status for status, _, _ in rows(db, second)} == {MessageStatus.PENDING}
    # A third campaign whose next wave starts in an hour: tomorrow is too late for this one.
    third = campaign_wave(db, MORNING - timedelta(hours=23), waves=2)
    send(db, settings, third, MORNING)
    assert rows(db, third) == [(MessageStatus.SKIPPED, "capped", None)] * 3


@pytest.mark.usefixtures("students")
def test_the_week_counts_across_days(db: Database, settings: Settings) -> None:
    settings = capped(settings, caps="sms=2/day,3/week")
    for day in range(3):  # Tue, Wed, Thu: one SMS a day
        at = MORNING + timedelta(days=day)
        assert len(send(db, settings, campaign_wave(db, at), at).sent) == 3
    friday = MORNING + timedelta(days=3)
    held = campaign_wave(db, friday)
    assert send(db, settings, held, friday).sent == []
    monday = datetime(2026, 6, 7, 21, 0, tzinfo=UTC)  # Monday 8 June 00:00 in Istanbul
    assert {at for _, _, at in rows(db, held)} == {monday}


@pytest.mark.usefixtures("students")
def test_a_refused_send_gives_its_slot_back(db: Database, settings: Settings) -> None:
    settings = capped(settings)
    refusing = RecordingAdapter(lambda _m: PermanentError("numara geçersiz", code="21211"))
    first = campaign_wave(db, MORNING)
    WaveSender(db, settings, AdapterPool(settings, dict.fromkeys(Channel, refusing))).send_batch(
        first, now=MORNING
    )
    assert {status for status, _, _ in rows(db, first)} == {MessageStatus.FAILED}
    with db.session() as session:
        counts = session.execute(select(ContactCount.day_count, ContactCount.week_count))
        assert set(counts) == {(0, 0)}
    second = campaign_wave(db, MORNING)
    assert len(send(db, settings, second, MORNING).sent) == 3


class NeverReceived(RecordingAdapter):
    """Times out on every message; asked afterwards, has none of them."""

    def __init__(self) -> None:
        super().__init__(lambda _m: OutcomeUnknownError("no answer in time", code="timeout"))

    def reconcile(self, messages: Sequence[InFlight]) -> dict[int, str | None]:
        return {m.message_id: None for m in messages}


@pytest.mark.usefixtures("students")
def test_a_message_the_provider_never_got_gives_its_slot_back(
    db: Database, settings: Settings
) -> None:
    settings = capped(settings)
    first = campaign_wave(db, MORNING)
    lost = NeverReceived()
    pool = AdapterPool(settings, dict.fromkeys(Channel, lost))
    WaveSender(db, settings, pool).send_batch(first, now=MORNING)
    later = MORNING + timedelta(seconds=settings.reconcile_after_seconds)
    with db.session() as session:
        report = recover_stale(
            session, pool, lease_seconds=600, now=later, caps=FrequencyCaps.of(settings)
        )
    assert report.requeued == 3
    with db.session() as session:
        assert set(session.execute(select(ContactCount.day_count))) == {(0,)}
    # Sent again the same day, each takes the one SMS slot of the day once.
    assert len(send(db, settings, first, later).sent) == 3
    with db.session() as session:
        assert set(session.execute(select(ContactCount.day_count))) == {(1,)}


def test_a_student_the_checks_skip_takes_no_slot(db: Database, settings: Settings) -> None:
    settings = capped(settings)
    with db.session() as session:
        session.add_all([factories.student(), factories.student()])
    first = campaign_wave(db, MORNING)
    with db.session() as session:  # one withdrew consent after planning
        session.execute(update(Student).where(Student.id == 1).values(contact_consent=False))
    send(db, settings, first, MORNING)
    with db.session() as session:
        counted = session.execute(
            select(ContactCount.student_id, ContactCount.day, ContactCount.day_count)
        ).all()
    assert counted == [(2, "2026-06-02", 1)]


def test_no_caps_no_ledger(db: Database, settings: Settings) -> None:
    with db.session() as session:
        session.add(factories.student())
    settings = capped(settings, caps="")
    for _ in range(2):
        assert len(send(db, settings, campaign_wave(db, MORNING), MORNING).sent) == 1
    with db.session() as session:
        assert session.scalars(select(ContactCount)).all() == []


def test_caps_are_read_as_written() -> None:
    assert parse_caps("sms=1/day,3/week; email = 5/week") == {
        Channel.SMS: Limits(1, 3),
        Channel.EMAIL: Limits(None, 5),
    }
    for wrong, named in (("faks=1/day", "faks"), ("sms=bir/day", "bir/day"), ("sms", "sms")):
        with pytest.raises(ValueError, match=named):
            parse_caps(wrong)


@pytest.mark.postgres
def test_a_batch_waits_for_another_holding_the_same_students_slots(
    pg_db: Database, pg_settings: Settings
) -> None:
    """Two transactions take the last slot of the same student: the second waits for the
    first to commit, then finds the slot gone (never both)."""
    with pg_db.session() as session:
        session.add(factories.student())
    caps = FrequencyCaps.of(capped(pg_settings, caps="sms=1/day"))
    want = [Wanted(1, 1, Channel.SMS)]
    with pg_db.session() as session:  # the ledger row exists (at 0) before both start
        caps.take(session, [Wanted(9, 1, Channel.SMS)], MORNING)
        caps.give_back(session, [Wanted(9, 1, Channel.SMS)], MORNING)
    answer: list[list[Refused]] = []
    second = threading.Thread(target=lambda: answer.append(take_alone(pg_db, caps, want)))
    with pg_db.session() as first:
        assert caps.take(first, want, MORNING) == []
        second.start()
        second.join(timeout=1.0)
        assert second.is_alive()  # blocked on the first's lock until it commits
    second.join(timeout=10)
    assert [[r.message_id for r in refused] for refused in answer] == [[1]]


def take_alone(db: Database, caps: FrequencyCaps, want: list[Wanted]) -> list[Refused]:
    with db.session() as session:
        return caps.take(session, want, MORNING)
