"""The academic calendar: Turkish public holidays (the moving religious ones included, from
the ``holidays`` library) and the university's own closed days keep waves from sending;
the next open moment respects the sending hours; the launch forecast says why a wave
waits."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.settings import Settings
from campaigns.definitions import drafts
from campaigns.definitions.send_window import SendWindow
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.sending import WaveSender
from campaigns.governance.calendar import AcademicCalendar
from campaigns.governance.closed_days import parse_closed_days
from campaigns.planning.plan_wave import plan_wave
from campaigns.planning.preflight import preflight
from channels.base import Channel
from tests.support import factories
from tests.support.adapters import RecordingAdapter
from tests.support.api import DEFINITION, add_cohort

ISTANBUL = "Europe/Istanbul"
# 19 May 2026, 10:00 in Istanbul: Atatürk'ü Anma, Gençlik ve Spor Bayramı.
YOUTH_DAY = datetime(2026, 5, 19, 7, 0, tzinfo=UTC)
OFFICE_HOURS = SendWindow.from_columns(time(9), time(17))


def calendar(closed: str = "") -> AcademicCalendar:
    return AcademicCalendar("TR", parse_closed_days(closed))


def test_public_holidays_have_their_turkish_names_and_move_with_the_moon() -> None:
    turkish = calendar()
    assert turkish.closed_on(date(2026, 5, 19)) == (
        "Atatürk'ü Anma, Gençlik ve Spor Bayramı (resmî tatil / public holiday)"
    )
    assert "Ramazan Bayramı" in (turkish.closed_on(date(2026, 3, 20)) or "")
    assert "Ramazan Bayramı" in (turkish.closed_on(date(2027, 3, 9)) or "")
    assert turkish.closed_on(date(2026, 5, 20)) is None
    assert AcademicCalendar(None, {}).closed_on(date(2026, 5, 19)) is None


def test_the_universitys_days_come_first_and_ranges_are_whole() -> None:
    exams = calendar("2026-05-18..2026-05-22 Final sınavları; 2026-07-03 Diploma töreni")
    assert [exams.closed_on(date(2026, 5, d)) for d in (18, 19, 22, 23)] == [
        "Final sınavları",
        "Final sınavları",
        "Final sınavları",
        None,
    ]
    assert exams.closed_on(date(2026, 7, 3)) == "Diploma töreni"


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("2026-13-01 Ay yok", "2026-13-01"),
        ("2026-06-10..2026-06-01 Ters", "backwards"),
        ("15.06.2026 Sınav", "YYYY-MM-DD"),
    ],
)
def test_a_closed_day_that_cannot_be_read_is_named(text: str, named: str) -> None:
    with pytest.raises(ValueError, match=named):
        parse_closed_days(text)


def test_an_unknown_holiday_country_is_refused() -> None:
    with pytest.raises(ValueError, match="no public holidays known"):
        Settings(holidays="XX", _env_file=None)  # type: ignore[call-arg]


def test_the_next_open_moment_skips_closed_days_inside_the_hours() -> None:
    next_day = datetime(2026, 5, 20, 6, 0, tzinfo=UTC)  # 20 May 09:00 in Istanbul
    assert calendar().next_open(YOUTH_DAY, OFFICE_HOURS, ISTANBUL) == next_day
    exams = calendar("2026-05-20..2026-05-21 Final sınavları")
    friday = datetime(2026, 5, 22, 6, 0, tzinfo=UTC)
    assert exams.next_open(YOUTH_DAY, OFFICE_HOURS, ISTANBUL) == friday
    assert not exams.is_open(YOUTH_DAY, OFFICE_HOURS, ISTANBUL)
    assert exams.is_open(friday, OFFICE_HOURS, ISTANBUL)


def test_a_wave_due_on_a_holiday_waits_for_the_next_open_day(
    db: Database, settings: Settings
) -> None:
    settings = settings.model_copy(update={"holidays": "TR", "frequency_caps": ""})
    with db.session() as session:
        session.add_all([factories.student() for _ in range(2)])
        campaign = factories.campaign(session, [{"channels": ["sms"]}], now=YOUTH_DAY)
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=YOUTH_DAY)
    adapter = RecordingAdapter()
    sender = WaveSender(db, settings, AdapterPool(settings, dict.fromkeys(Channel, adapter)))
    assert sender.send_batch(wave_id, now=YOUTH_DAY).idle == "window_closed"
    assert adapter.sent == []
    sender.send_batch(wave_id, now=YOUTH_DAY + timedelta(days=1))
    assert len(adapter.sent) == 2


def test_the_launch_forecast_says_why_a_wave_waits(db: Database, settings: Settings) -> None:
    settings = settings.model_copy(update={"holidays": "TR"})
    add_cohort(db)
    with db.session() as session:
        campaign_id = drafts.create(session, Actor.operator(), DEFINITION, settings=settings).id
    checked = preflight(db, settings, {}, campaign_id, now=YOUTH_DAY)
    first = checked.waves[0]
    assert first.closed is not None
    assert first.closed.startswith("Atatürk'ü Anma")
    assert first.sends_from == datetime(2026, 5, 19, 21, 0, tzinfo=UTC)  # 20 May, 00:00
    assert checked.first_message == first.sends_from
