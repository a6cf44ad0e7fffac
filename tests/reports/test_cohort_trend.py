"""The trend since the first wave: cumulative registrations and forms per week, counted
per day in SQL; conversions before the first wave count from its week."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Conversion, ConversionStage, Role
from campaigns.reports.cohort_trend import TrendPoint, cohort_trend
from tests.support import factories

ADVISOR = Actor("kemal", Role.ADVISOR, None, "kemal.isik@universite.example.edu.tr")
# A Wednesday: its week starts on Monday 2 November 2026.
FIRST_WAVE = datetime(2026, 11, 4, 9, 0, tzinfo=UTC)


def conversion(number: str, stage: ConversionStage, at: datetime) -> Conversion:
    return Conversion(student_no=number, stage=stage, occurred_at=at, source="test")


def test_weeks_add_up_from_the_first_wave(db: Database) -> None:
    with db.session() as session:
        mine = [factories.student() for _ in range(4)]
        theirs = factories.student(advisor_email="baska@universite.example.edu.tr")
        session.add_all([*mine, theirs])
        campaign = factories.campaign(session, [{}], now=FIRST_WAVE)
        campaign.scope_advisor = ADVISOR.email
        campaign.waves[0].planned_at = FIRST_WAVE
        registered, form = ConversionStage.REGISTERED, ConversionStage.FORM_SUBMITTED
        session.add_all(
            [
                # Before the first wave: counted in its week.
                conversion(mine[0].student_no, registered, FIRST_WAVE - timedelta(days=30)),
                conversion(mine[1].student_no, registered, FIRST_WAVE + timedelta(days=1)),
                conversion(mine[1].student_no, form, FIRST_WAVE + timedelta(days=9)),
                conversion(mine[2].student_no, registered, FIRST_WAVE + timedelta(days=15)),
                # Another advisor's student: not in this trend.
                conversion(theirs.student_no, registered, FIRST_WAVE + timedelta(days=2)),
            ]
        )
    with db.session() as session:
        trend = cohort_trend(session, ADVISOR, FIRST_WAVE + timedelta(days=16))
    assert trend.since == date(2026, 11, 4)
    assert trend.points == [
        TrendPoint(date(2026, 11, 2), 2, 0),
        TrendPoint(date(2026, 11, 9), 2, 1),
        TrendPoint(date(2026, 11, 16), 3, 1),
    ]


def test_no_trend_before_any_wave(db: Database) -> None:
    with db.session() as session:
        session.add(factories.student())
        trend = cohort_trend(session, ADVISOR, FIRST_WAVE)
    assert trend.since is None
    assert trend.points == []
