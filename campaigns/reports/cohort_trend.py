"""How registrations grew since the caller's first wave went out: per week, how many of
their students had registered and handed in the membership form by its end. Counted per
day in SQL, summed into weeks here."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigns.access.scopes import campaign_condition, student_condition
from campaigns.core.actors import Actor
from campaigns.core.models import Campaign, Conversion, ConversionStage, Student, Wave

MAX_WEEKS: Final = 52


@dataclass(frozen=True, slots=True)
class TrendPoint:
    week: date
    """The Monday the week starts on."""
    registered: int
    form_submitted: int


@dataclass(frozen=True, slots=True)
class Trend:
    since: date | None
    """The day the first wave of the caller's campaigns went out (None: none has)."""
    points: list[TrendPoint] = field(default_factory=list)


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def cohort_trend(session: Session, actor: Actor, now: datetime) -> Trend:
    """Cumulative registrations and forms at the end of each week since the first wave
    (the last ``MAX_WEEKS`` weeks at most)."""
    first = session.scalar(
        select(func.min(Wave.planned_at))
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .where(campaign_condition(session, actor), Wave.planned_at.is_not(None))
    )
    if first is None:
        return Trend(None)
    day = func.date(Conversion.occurred_at)
    rows = session.execute(
        select(day, Conversion.stage, func.count())
        .join(Student, Student.student_no == Conversion.student_no)
        .where(student_condition(session, actor), Student.purged_at.is_(None))
        .group_by(day, Conversion.stage)
    )
    per_week: dict[tuple[date, ConversionStage], int] = defaultdict(int)
    start = _monday(first.date())
    for when, stage, count in rows:
        moment = when if isinstance(when, date) else date.fromisoformat(str(when))
        per_week[(max(_monday(moment), start), ConversionStage(stage))] += count
    weeks = []
    week = start
    while week <= _monday(now.date()):
        weeks.append(week)
        week += timedelta(days=7)
    points: list[TrendPoint] = []
    registered = form = 0
    for week in weeks:
        registered += per_week[(week, ConversionStage.REGISTERED)]
        form += per_week[(week, ConversionStage.FORM_SUBMITTED)]
        points.append(TrendPoint(week, registered, form))
    return Trend(first.date(), points[-MAX_WEEKS:])
