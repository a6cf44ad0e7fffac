"""Frequency caps across campaigns: at most N campaign messages per student and channel in
a local day and in an ISO week (``CAMPAIGNS_FREQUENCY_CAPS``), whichever campaigns send them.

A batch takes its slots in the transaction that claims it: the ledger rows of its students
(``ContactCount``, one per student, channel and period) are created if missing, locked in
one order (so concurrent batches wait for each other rather than deadlock), counted and
incremented. Two workers can therefore never both take a student's last slot. A message
refused a slot is not lost: it waits for the next one (the next local day or week, within
the campaign's sending hours) as long as its wave's time lasts, and is skipped as
``capped`` after that. A slot taken by a message the provider then refused is given back.

Only campaign messages are counted and capped: what a student asked for (an answer to
their reply, a test a user sends themselves) has no message row and goes regardless.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Table, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from campaigns.core.dialects import upsert
from campaigns.core.models import Campaign, ContactCount, Wave
from campaigns.core.settings import Settings
from campaigns.definitions.send_window import SendWindow, first_instant
from campaigns.governance.cap_rules import Limits, parse_caps
from channels.base import Channel

LEDGER = cast(Table, ContactCount.__table__)


@dataclass(frozen=True, slots=True)
class Wanted:
    """A claimed message that would use a slot."""

    message_id: int
    student_id: int
    channel: Channel


@dataclass(frozen=True, slots=True)
class Refused:
    """A message the caps hold back, and when its student's next slot opens."""

    message_id: int
    next_slot: datetime


@dataclass(frozen=True, slots=True)
class Periods:
    """The local day and week ``now`` falls in, and when each ends."""

    day: str
    week: str
    day_ends: datetime
    week_ends: datetime

    @classmethod
    def at(cls, now: datetime, zone: ZoneInfo) -> Periods:
        today = now.astimezone(zone).date()
        monday = today - timedelta(days=today.weekday())
        return cls(
            f"d:{today.isoformat()}",
            f"w:{monday.isoformat()}",
            _midnight(today + timedelta(days=1), zone),
            _midnight(monday + timedelta(days=7), zone),
        )


class FrequencyCaps:
    """The installation's caps, ready to take and give back slots."""

    def __init__(
        self, limits: dict[Channel, Limits], zone: ZoneInfo, wait: timedelta = timedelta(hours=72)
    ) -> None:
        self.limits = {c: rule for c, rule in limits.items() if rule.day or rule.week}
        self.zone = zone
        self.wait = wait

    @classmethod
    def of(cls, settings: Settings) -> FrequencyCaps:
        wait = timedelta(hours=settings.cap_wait_hours)
        return cls(parse_caps(settings.frequency_caps), settings.zone, wait)

    def __bool__(self) -> bool:
        return bool(self.limits)

    def take(self, session: Session, wanted: Sequence[Wanted], now: datetime) -> list[Refused]:
        """Take a slot for each message that has one left (in the caller's transaction,
        whose commit releases the locks); the others, with when to try again."""
        capped = [w for w in wanted if w.channel in self.limits]
        if not capped:
            return []
        periods = Periods.at(now, self.zone)
        keys = sorted(
            {(w.student_id, w.channel.value, p) for w in capped for p in self._periods(w, periods)}
        )
        counts = _locked_counts(session, keys)
        refused: list[Refused] = []
        taken: list[tuple[int, str, str]] = []
        for want in capped:
            rule = self.limits[want.channel]
            day = (want.student_id, want.channel.value, periods.day)
            week = (want.student_id, want.channel.value, periods.week)
            full_day = rule.day is not None and counts[day] >= rule.day
            full_week = rule.week is not None and counts[week] >= rule.week
            if full_day or full_week:
                later = periods.week_ends if full_week else periods.day_ends
                refused.append(Refused(want.message_id, later))
                continue
            for key in (day if rule.day else None, week if rule.week else None):
                if key is not None:
                    counts[key] += 1
                    taken.append(key)
        _add(session, taken, +1)
        return refused

    def give_back(self, session: Session, wanted: Iterable[Wanted], taken_at: datetime) -> None:
        """Return the slots of messages the provider certainly did not take (refused, to
        be retried): the student did not get them."""
        periods = Periods.at(taken_at, self.zone)
        keys = sorted(
            (w.student_id, w.channel.value, p)
            for w in wanted
            if w.channel in self.limits
            for p in self._periods(w, periods)
        )
        _add(session, keys, -1)

    def deadline(self, campaign: Campaign, wave: Wave, now: datetime) -> datetime:
        """Until when a capped message of ``wave`` may wait: ``wait`` after the wave
        started, and never past the start of the campaign's next wave."""
        started = wave.start_at or wave.planned_at or now
        later = [
            w.start_at
            for w in campaign.waves
            if w.position > wave.position and w.start_at is not None
        ]
        return min([started + self.wait, *later])

    def _periods(self, want: Wanted, periods: Periods) -> list[str]:
        rule = self.limits[want.channel]
        return [p for p, limit in ((periods.day, rule.day), (periods.week, rule.week)) if limit]


def next_sendable(slot: datetime, campaign: Campaign) -> datetime:
    """The first moment at or after ``slot`` within the campaign's sending hours."""
    return SendWindow.of(campaign).next_opening(slot, campaign.timezone)


def _locked_counts(
    session: Session, keys: list[tuple[int, str, str]]
) -> dict[tuple[int, str, str], int]:
    """The ledger rows of ``keys``, created at 0 if missing and locked in key order."""
    session.execute(
        upsert(session, LEDGER)
        .values([{"student_id": s, "channel": c, "period": p, "count": 0} for s, c, p in keys])
        .on_conflict_do_nothing(index_elements=["student_id", "channel", "period"])
    )
    c = LEDGER.c
    rows = session.execute(
        select(c.student_id, c.channel, c.period, c.count)
        .where(_among(keys))
        .order_by(c.student_id, c.channel, c.period)
        .with_for_update()
    )
    return {(s, c, p): n for s, c, p, n in rows}


def _among(keys: list[tuple[int, str, str]]) -> ColumnElement[bool]:
    """The rows of ``keys``: the students' rows of the periods asked (portable, and few)."""
    students = sorted({s for s, _, _ in keys})
    periods = sorted({p for _, _, p in keys})
    channels = sorted({c for _, c, _ in keys})
    return and_(
        LEDGER.c.student_id.in_(students),
        LEDGER.c.period.in_(periods),
        or_(*(LEDGER.c.channel == c for c in channels)),
    )


_ADD = (
    update(LEDGER)
    .where(
        LEDGER.c.student_id == bindparam("b_student"),
        LEDGER.c.channel == bindparam("b_channel"),
        LEDGER.c.period == bindparam("b_period"),
    )
    .values(count=LEDGER.c.count + bindparam("b_delta"))
)


def _add(session: Session, keys: Sequence[tuple[int, str, str]], delta: int) -> None:
    if keys:
        session.execute(
            _ADD,
            [{"b_student": s, "b_channel": c, "b_period": p, "b_delta": delta} for s, c, p in keys],
        )


def _midnight(day: date, zone: ZoneInfo) -> datetime:
    return first_instant(datetime.combine(day, datetime.min.time()), zone)
