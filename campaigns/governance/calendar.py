"""The academic calendar: days nothing is sent, on top of a campaign's sending hours.

Public holidays come from the maintained ``holidays`` library (``CAMPAIGNS_HOLIDAYS``, a
country code, ``TR`` by default: the religious holidays move every year and are computed,
not written down here), with their Turkish names. The university adds its own closed days:
in the configuration (``CAMPAIGNS_CLOSED_DAYS``: ``2026-06-15..2026-06-19 Final sınavları;
2026-07-03 Diploma töreni``) and, kept by people in the web app, the CLI or the API, in the
``closed_days`` table, for everyone or for one faculty (its quiet days). A message due on a
closed day of its student (their faculty's, in their own time zone) waits for the next open
moment: the sender does not send it, the scheduler does not wake its wave, the launch
forecast says until when and why.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
from sqlalchemy import ColumnElement, Exists, exists, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from campaigns.core.models import ClosedDay, Message, MessageStatus, Student, utcnow
from campaigns.core.settings import Settings
from campaigns.definitions.send_window import SendWindow, day_starts
from campaigns.governance.closed_days import MAX_CLOSED_RUN, each_day, parse_closed_days

PUBLIC_HOLIDAY = "resmî tatil / public holiday"


@cache
def public_holidays(country: str) -> holidays.HolidayBase:
    """The country's holidays in Turkish (built once: the library computes years lazily)."""
    return holidays.country_holidays(country, language="tr")


class AcademicCalendar:
    """Closed days and, with a campaign's sending hours, when it may send."""

    def __init__(
        self,
        country: str | None,
        closed: dict[date, str],
        faculties: dict[str, dict[date, str]] | None = None,
    ) -> None:
        self.closed = closed
        self.faculties = faculties or {}
        self.public = public_holidays(country) if country else None

    @classmethod
    def load(
        cls, session: Session, settings: Settings, today: date | None = None
    ) -> AcademicCalendar:
        """The configured calendar and the closed days people keep, from yesterday on."""
        since = (today or utcnow().date()) - timedelta(days=1)
        closed = parse_closed_days(settings.closed_days)
        faculties: dict[str, dict[date, str]] = defaultdict(dict)
        for row in session.scalars(select(ClosedDay).where(ClosedDay.last_day >= since)):
            days = closed if row.faculty is None else faculties[row.faculty]
            for day in each_day(row.first_day, row.last_day):
                days.setdefault(day, row.reason)
        return cls(settings.holidays.strip() or None, closed, dict(faculties))

    def closed_on(self, day: date, faculty: str | None = None) -> str | None:
        """Why nothing is sent on ``day`` (to ``faculty``'s students), or None: the
        university's reason first, then the faculty's, then the public holiday."""
        if day in self.closed:
            return self.closed[day]
        if faculty is not None and day in self.faculties.get(faculty, {}):
            return self.faculties[faculty][day]
        if self.public is not None:
            name = self.public.get(day)
            if name:
                return f"{name} ({PUBLIC_HOLIDAY})"
        return None

    def is_open(
        self, now: datetime, window: SendWindow, zone: str, faculty: str | None = None
    ) -> bool:
        local = now.astimezone(ZoneInfo(zone)).date()
        return window.is_open(now, zone) and self.closed_on(local, faculty) is None

    def next_open(
        self, at: datetime, window: SendWindow, zone: str, faculty: str | None = None
    ) -> datetime:
        """The first instant at or after ``at`` inside the sending hours of an open day."""
        tz = ZoneInfo(zone)
        moment = window.next_opening(at, zone)
        for _ in range(MAX_CLOSED_RUN):
            day = moment.astimezone(tz).date()
            if self.closed_on(day, faculty) is None:
                return moment
            moment = window.next_opening(day_starts(day + timedelta(days=1), tz), zone)
        return moment


def due_abroad(
    wave_id: int | ColumnElement[int] | InstrumentedAttribute[int], now: datetime
) -> Exists:
    """Whether a due message of the wave goes to a student with a time zone of their own,
    whose sending hours may be open while the campaign's are not."""
    return exists().where(
        Message.wave_id == wave_id,
        Message.status == MessageStatus.PENDING,
        or_(Message.next_attempt_at.is_(None), Message.next_attempt_at <= now),
        Student.id == Message.student_id,
        Student.timezone.is_not(None),
    )
