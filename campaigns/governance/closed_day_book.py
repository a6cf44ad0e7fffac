"""The closed days people keep: the alumni office closes days for the whole university (exam
weeks, the diploma ceremony), a faculty coordinator for their own faculty (its quiet days).
Everyone may read the calendar; closing and reopening days is audited. Every face (web app,
CLI, API) calls these functions; ``calendar.AcademicCalendar`` applies what they keep.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import FieldProblem, NotAllowedError, NotFoundError
from campaigns.core.models import ClosedDay, Role, Student
from campaigns.core.settings import Settings
from campaigns.core.turkish_text import fold
from campaigns.governance.calendar import public_holidays
from campaigns.governance.closed_days import MAX_CLOSED_RUN, each_day, parse_closed_days

MAX_REASON: Final = 200
UNIVERSITY: Final = "university"
FACULTY: Final = "faculty"
SETTINGS: Final = "settings"
HOLIDAY: Final = "holiday"


class ClosedDayProblem(FieldProblem):
    """A closed day that cannot be kept as written; the message names the field."""


@dataclass(frozen=True, slots=True)
class ClosedSpan:
    """Consecutive closed days with one reason, as people read the calendar."""

    first: date
    last: date
    reason: str
    kind: str
    """``holiday`` (public), ``settings`` (configured), ``university`` or ``faculty``."""
    faculty: str | None = None
    id: int | None = None
    """The kept span's number (for reopening); None for holidays and configured days."""
    created_by: str | None = None

    @classmethod
    def of(cls, row: ClosedDay) -> ClosedSpan:
        kind = UNIVERSITY if row.faculty is None else FACULTY
        return cls(
            row.first_day, row.last_day, row.reason, kind, row.faculty, row.id, row.created_by
        )


def upcoming(
    session: Session, settings: Settings, today: date, days: int = 365
) -> list[ClosedSpan]:
    """Every closed span that ends today or later and starts within ``days``: the public
    holidays, the configured days and the kept ones, in date order."""
    until = today + timedelta(days=days)
    spans: list[ClosedSpan] = []
    country = settings.holidays.strip()
    if country:
        holidays = public_holidays(country)
        named = {d: str(holidays[d]) for d in each_day(today, until) if d in holidays}
        spans.extend(_spans(named, HOLIDAY))
    configured = {
        d: r for d, r in parse_closed_days(settings.closed_days).items() if today <= d <= until
    }
    spans.extend(_spans(configured, SETTINGS))
    rows = session.scalars(
        select(ClosedDay)
        .where(ClosedDay.last_day >= today, ClosedDay.first_day <= until)
        .order_by(ClosedDay.first_day, ClosedDay.id)
    )
    spans.extend(ClosedSpan.of(row) for row in rows)
    return sorted(spans, key=lambda s: (s.first, s.last, s.kind))


def close(
    session: Session,
    actor: Actor,
    first: date,
    last: date,
    reason: str,
    faculty: str | None,
    today: date,
) -> ClosedDay:
    """Keep ``first``..``last`` closed for the university (``faculty`` None) or a faculty."""
    reason = " ".join(reason.split())
    if not reason:
        raise ClosedDayProblem("reason", "neden boş / the reason is missing")
    if len(reason) > MAX_REASON:
        raise ClosedDayProblem(
            "reason", f"en çok {MAX_REASON} karakter / at most {MAX_REASON} characters"
        )
    if last < first:
        raise ClosedDayProblem("last_day", "başlangıç gününden önce / before the first day")
    if (last - first).days > MAX_CLOSED_RUN:
        raise ClosedDayProblem("last_day", "bir yıldan uzun / longer than a year")
    if last < today:
        raise ClosedDayProblem(
            "last_day", "geçmişte kalmış / in the past: nothing is sent then any more"
        )
    faculty = _known_faculty(session, faculty) if faculty and faculty.strip() else None
    _may_keep(actor, faculty)
    row = ClosedDay(
        first_day=first, last_day=last, reason=reason, faculty=faculty, created_by=actor.name
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor.name,
        audit.CALENDAR_CLOSE,
        f"closed_day:{row.id}",
        {"first": first.isoformat(), "last": last.isoformat(), "faculty": faculty},
    )
    return row


def reopen(session: Session, actor: Actor, closed_id: int) -> None:
    """Forget a kept span: messages may go on its days again."""
    row = session.get(ClosedDay, closed_id)
    if row is None:
        raise NotFoundError(
            f"kapalı gün kaydı yok: {closed_id} / no such closed day entry: {closed_id}"
        )
    _may_keep(actor, row.faculty)
    audit.record(
        session,
        actor.name,
        audit.CALENDAR_REOPEN,
        f"closed_day:{row.id}",
        {
            "first": row.first_day.isoformat(),
            "last": row.last_day.isoformat(),
            "faculty": row.faculty,
        },
    )
    session.delete(row)
    session.flush()


def may_keep(actor: Actor, faculty: str | None) -> bool:
    """The alumni office keeps every closed day; a coordinator their own faculty's."""
    if actor.is_admin:
        return True
    return (
        actor.role is Role.COORDINATOR
        and faculty is not None
        and actor.faculty is not None
        and fold(actor.faculty) == fold(faculty)
    )


def faculties_kept_by(session: Session, actor: Actor) -> list[str]:
    """The faculties whose days ``actor`` may close, as the students' records spell them."""
    if not actor.is_admin and not (actor.role is Role.COORDINATOR and actor.faculty):
        return []
    known = session.scalars(select(Student.faculty).distinct().order_by(Student.faculty))
    return [f for f in known if may_keep(actor, f)]


def _may_keep(actor: Actor, faculty: str | None) -> None:
    if not may_keep(actor, faculty):
        raise NotAllowedError(
            "kapalı günleri mezun ofisi, fakülte günlerini o fakültenin koordinatörü "
            "düzenler / closed days are kept by the alumni office, a faculty's days by its "
            "coordinator"
        )


def _known_faculty(session: Session, faculty: str) -> str:
    """The faculty as the students' records spell it (the calendar matches it exactly)."""
    wanted = fold(faculty)
    for known in session.scalars(select(Student.faculty).distinct()):
        if fold(known) == wanted:
            return known
    raise ClosedDayProblem(
        "faculty",
        f"bu adla öğrencisi olan fakülte yok ({faculty.strip()!r}) / no students belong to "
        f"a faculty of that name",
    )


def _spans(days: dict[date, str], kind: str) -> Iterator[ClosedSpan]:
    """Consecutive days with the same reason as one span."""
    current: ClosedSpan | None = None
    for day in sorted(days):
        reason = days[day]
        if current and current.reason == reason and current.last + timedelta(days=1) == day:
            current = ClosedSpan(current.first, day, reason, kind)
            continue
        if current:
            yield current
        current = ClosedSpan(day, day, reason, kind)
    if current:
        yield current
