"""The daily local time window in which a campaign may send, e.g. ``"09:00-20:00"``.

A window is half-open: it opens at ``start`` and is closed from ``end`` on. ``end`` may be
``"24:00"`` (until midnight), and a window whose end comes before its start crosses midnight
(``"20:00-02:00"``). ``"00:00-24:00"`` is always open.

Each local day's window is turned into an interval of real instants, so daylight saving
changes are handled without surprises: a boundary that falls in the hour skipped in spring
takes effect when the clocks jump; one that falls in the hour repeated in autumn takes
effect at its first occurrence, and the repeated hour does not reopen a closed window.

Stored in ``Campaign.window_start`` / ``window_end``, a ``Time`` column that cannot hold
24:00: an end of 00:00 stands for midnight at the end of the day, so ``00:00``–``00:00``
means always open. Windows that merely end at midnight (``"20:00-00:00"`` and
``"20:00-24:00"``) are the same window.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Final, Literal
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from campaigns.core.models import Campaign

END_OF_DAY: Final = "24:00"
MIDNIGHT: Final = time(0, 0)

EndOfWindow = time | Literal["24:00"]

_WINDOW = re.compile(r"\s*(\d{1,2}):(\d{2})\s*[-–—]\s*(\d{1,2}):(\d{2})\s*")
_EXAMPLE = '"09:00-20:00"'


@dataclass(frozen=True, slots=True)
class SendWindow:
    """A daily window of local wall-clock time; ``end`` 00:00 is read as ``"24:00"``."""

    start: time
    end: EndOfWindow

    def __post_init__(self) -> None:
        for value in (self.start, self.end):
            if isinstance(value, time) and value.tzinfo is not None:
                raise ValueError("send window times are local: no tzinfo")
        if self.end == MIDNIGHT:
            object.__setattr__(self, "end", END_OF_DAY)
        elif self.end != END_OF_DAY and not isinstance(self.end, time):
            raise ValueError(f"window end must be a time or {END_OF_DAY!r}")
        if self.end == self.start:
            raise ValueError("a send window cannot start and end at the same time")

    @classmethod
    def parse(cls, text: str) -> SendWindow:
        """Read ``"HH:MM-HH:MM"`` (an en dash works too); ``ValueError`` with a bilingual reason."""
        match = _WINDOW.fullmatch(text) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                f"gönderim aralığı {_EXAMPLE} biçiminde olmalı / "
                f"a send window looks like {_EXAMPLE}"
            )
        start_h, start_m, end_h, end_m = (int(part) for part in match.groups())
        if start_h > 23 or start_m > 59 or end_m > 59 or end_h > 24 or (end_h == 24 and end_m):
            raise ValueError(
                f"geçersiz saat: {text.strip()!r} / invalid time of day: {text.strip()!r}"
            )
        if (start_h, start_m) == (end_h, end_m):
            raise ValueError(
                'başlangıç ve bitiş aynı olamaz; hep açık için "00:00-24:00" yazın / '
                'start and end cannot be equal; write "00:00-24:00" for always open'
            )
        end: EndOfWindow = END_OF_DAY if end_h == 24 else time(end_h, end_m)
        return cls(time(start_h, start_m), end)

    @classmethod
    def from_columns(cls, start: time, end: time) -> SendWindow:
        """The window stored in a campaign's ``window_start`` / ``window_end``."""
        return cls(start, end)

    @classmethod
    def of(cls, campaign: Campaign) -> SendWindow:
        """The window of a stored campaign."""
        return cls.from_columns(campaign.window_start, campaign.window_end)

    def to_columns(self) -> tuple[time, time]:
        """``(window_start, window_end)`` for storage, ``"24:00"`` written as 00:00."""
        return self.start, MIDNIGHT if self.end == END_OF_DAY else self._end_time

    @property
    def always_open(self) -> bool:
        return self.start == MIDNIGHT and self.end == END_OF_DAY

    @property
    def crosses_midnight(self) -> bool:
        return self.end != END_OF_DAY and self._end_time < self.start

    def is_open(self, now: datetime, zone: ZoneInfo | str) -> bool:
        """Whether sending is allowed at the instant ``now`` (time-zone aware)."""
        now = _aware(now)
        if self.always_open:
            return True
        return any(opens <= now < closes for opens, closes in self._intervals(now, _zone(zone)))

    def next_opening(self, now: datetime, zone: ZoneInfo | str) -> datetime:
        """The first instant at or after ``now`` when the window is open, in UTC."""
        now = _aware(now)
        if self.is_open(now, zone):
            return now
        return min(opens for opens, _ in self._intervals(now, _zone(zone)) if opens > now)

    def __str__(self) -> str:
        end = END_OF_DAY if self.end == END_OF_DAY else _clock(self._end_time)
        return f"{_clock(self.start)}-{end}"

    @property
    def _end_time(self) -> time:
        assert isinstance(self.end, time)
        return self.end

    def _intervals(self, now: datetime, zone: ZoneInfo) -> Iterator[tuple[datetime, datetime]]:
        """The window's intervals of real time on the local days around ``now``.

        Yesterday's is included for windows crossing midnight; days after today are included
        until one opens after ``now`` (a daylight saving jump can swallow a short window).
        """
        today = now.astimezone(zone).date()
        for offset in range(-1, 8):
            day = today + timedelta(days=offset)
            opens = _first_instant(day, self.start, zone)
            if self.end == END_OF_DAY:
                closes = _first_instant(day + timedelta(days=1), MIDNIGHT, zone)
            elif self.crosses_midnight:
                closes = _first_instant(day + timedelta(days=1), self._end_time, zone)
            else:
                closes = _first_instant(day, self._end_time, zone)
            if opens < closes:
                yield opens, closes
                if opens > now:
                    return


def first_instant(local: datetime, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) at which the clocks of ``zone`` read the naive ``local`` or later.

    For a time repeated when the clocks go back that is its first occurrence; for a time
    skipped when they go forward, the moment of the jump.
    """
    if local.tzinfo is not None:
        raise ValueError("a naive local datetime is needed")
    first = local.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if first.astimezone(zone).replace(tzinfo=None) == local:
        return first
    # ``local`` falls in a gap: fold=1 reads it with the offset after the jump (an instant
    # before the gap), fold=0 with the one before (an instant after it). Search between.
    low = int(local.replace(tzinfo=zone, fold=1).timestamp())
    high = int(first.timestamp())
    while high - low > 1:
        middle = (low + high) // 2
        reading = datetime.fromtimestamp(middle, zone).replace(tzinfo=None)
        if reading >= local:
            high = middle
        else:
            low = middle
    return datetime.fromtimestamp(high, UTC)


def _first_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    return first_instant(datetime.combine(day, at), zone)


def day_starts(day: date, zone: ZoneInfo) -> datetime:
    """The first instant (UTC) of the local ``day`` in ``zone``."""
    return _first_instant(day, MIDNIGHT, zone)


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time-zone aware datetime is needed")
    return value.astimezone(UTC)


def _zone(zone: ZoneInfo | str) -> ZoneInfo:
    return zone if isinstance(zone, ZoneInfo) else ZoneInfo(zone)


def _clock(value: time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")
