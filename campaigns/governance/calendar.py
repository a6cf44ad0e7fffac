"""The academic calendar: days nothing is sent, on top of a campaign's sending hours.

Public holidays come from the maintained ``holidays`` library (``CAMPAIGNS_HOLIDAYS``, a
country code, ``TR`` by default: the religious holidays move every year and are computed,
not written down here), with their Turkish names; the university adds its own closed days
(``CAMPAIGNS_CLOSED_DAYS``: ``2026-06-15..2026-06-19 Final sınavları; 2026-07-03 Diploma
töreni``). A wave due on a closed day waits for the next open moment: the sender does not
send, the scheduler does not wake it, the launch forecast says until when and why.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from campaigns.core.settings import Settings
from campaigns.definitions.send_window import SendWindow, first_instant
from campaigns.governance.closed_days import MAX_CLOSED_RUN, parse_closed_days


class AcademicCalendar:
    """Closed days and, with a campaign's sending hours, when it may send."""

    def __init__(self, country: str | None, closed: dict[date, str]) -> None:
        self.closed = closed
        self.public = holidays.country_holidays(country, language="tr") if country else None

    @classmethod
    def of(cls, settings: Settings) -> AcademicCalendar:
        return cls(settings.holidays.strip() or None, parse_closed_days(settings.closed_days))

    def closed_on(self, day: date) -> str | None:
        """Why nothing is sent on ``day`` (the university's reason first), or None."""
        if day in self.closed:
            return self.closed[day]
        if self.public is not None:
            name = self.public.get(day)
            if name:
                return f"{name} (resmî tatil / public holiday)"
        return None

    def is_open(self, now: datetime, window: SendWindow, zone: str) -> bool:
        local = now.astimezone(ZoneInfo(zone)).date()
        return window.is_open(now, zone) and self.closed_on(local) is None

    def next_open(self, at: datetime, window: SendWindow, zone: str) -> datetime:
        """The first instant at or after ``at`` inside the sending hours of an open day."""
        tz = ZoneInfo(zone)
        moment = window.next_opening(at, zone)
        for _ in range(MAX_CLOSED_RUN):
            day = moment.astimezone(tz).date()
            if self.closed_on(day) is None:
                return moment
            midnight = first_instant(
                datetime.combine(day + timedelta(days=1), datetime.min.time()), tz
            )
            moment = window.next_opening(midnight, zone)
        return moment
