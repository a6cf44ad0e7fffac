"""Frequency caps across campaigns: at most N campaign messages per student and channel in
a local day and in an ISO week (``CAMPAIGNS_FREQUENCY_CAPS``), whichever campaigns send them.

A batch takes its slots in the transaction that claims it: one statement counts each
message in its student's ledger row (``ContactCount``, one per student and channel, whose
day and week counts start again when the period changes), creating it if missing and
locking it, in one order (so concurrent batches wait for each other rather than deadlock).
A message that finds its day or week over the limit is refused and its count taken back
before the commit. Two workers can therefore never both take a student's last slot. A message
refused a slot is not lost: it waits for the next one (the next local day or week, within
the campaign's sending hours) as long as its wave's time lasts, and is skipped as
``capped`` after that. A slot taken by a message the provider then refused is given back.

Only campaign messages are counted and capped: what a student asked for (an answer to
their reply, a test a user sends themselves) has no message row and goes regardless.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, case, text, update
from sqlalchemy.orm import Session

from campaigns.core.dialects import upsert
from campaigns.core.models import Campaign, ContactCount, Wave
from campaigns.core.settings import Settings
from campaigns.definitions.send_window import day_starts
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
            today.isoformat(),
            monday.isoformat(),
            day_starts(today + timedelta(days=1), zone),
            day_starts(monday + timedelta(days=7), zone),
        )


class FrequencyCaps:
    """The installation's caps, ready to take and give back slots."""

    def __init__(
        self,
        limits: dict[Channel, Limits],
        zone: ZoneInfo,
        wait: timedelta = timedelta(hours=72),
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
        whose commit releases the locks); the others, with when to try again. A batch
        holds one message per student (one wave): no two of its messages share a row."""
        capped = self._capped(wanted)
        if not capped:
            return []
        periods = Periods.at(now, self.zone)
        over = _over_limits(session, capped, periods, self.limits)
        refused = [
            Refused(w.message_id, periods.week_ends if over[key] else periods.day_ends)
            for w in capped
            if (key := (w.student_id, w.channel.value)) in over
        ]
        _take_back(session, [w for w in capped if (w.student_id, w.channel.value) in over], periods)
        return refused

    def _capped(self, wanted: Iterable[Wanted]) -> list[Wanted]:
        """The messages of capped channels, in the one order ledger rows are locked in."""
        return sorted(
            (w for w in wanted if w.channel in self.limits),
            key=lambda w: (w.student_id, w.channel.value),
        )

    def give_back(self, session: Session, wanted: Iterable[Wanted], taken_at: datetime) -> None:
        """Return the slots of messages the provider certainly did not take (refused, to
        be retried): the student did not get them. A period over since is left alone."""
        _take_back(session, self._capped(wanted), Periods.at(taken_at, self.zone))

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


def _over_limits(
    session: Session, wanted: Sequence[Wanted], periods: Periods, limits: dict[Channel, Limits]
) -> dict[tuple[int, str], bool]:
    """Count one message in each (student, channel) row of ``wanted`` (sorted), for the
    current day and week, and say which rows are now over a limit (True: the week's). The
    rows stay locked until the transaction ends."""
    if session.get_bind().dialect.name == "postgresql":
        rows = session.execute(
            _PG_COUNT,
            {
                "students": [w.student_id for w in wanted],
                "channels": [w.channel.value for w in wanted],
                "day": periods.day,
                "week": periods.week,
                "capped": [c.value for c in limits],
                "per_day": [rule.day or NO_LIMIT for rule in limits.values()],
                "per_week": [rule.week or NO_LIMIT for rule in limits.values()],
            },
        )
        return {(s, channel): week_full for s, channel, week_full in rows}
    c = LEDGER.c
    new = upsert(session, LEDGER).values(
        [
            {
                "student_id": w.student_id,
                "channel": w.channel.value,
                "day": periods.day,
                "day_count": 1,
                "week": periods.week,
                "week_count": 1,
            }
            for w in wanted
        ]
    )
    counted = session.execute(
        new.on_conflict_do_update(
            index_elements=["student_id", "channel"],
            set_={
                "day_count": case((c.day == new.excluded.day, c.day_count + 1), else_=1),
                "day": new.excluded.day,
                "week_count": case((c.week == new.excluded.week, c.week_count + 1), else_=1),
                "week": new.excluded.week,
            },
        ).returning(c.student_id, c.channel, c.day_count, c.week_count)
    )
    over: dict[tuple[int, str], bool] = {}
    for s, channel, day, week in counted:
        rule = limits[Channel(channel)]
        week_full = week > (rule.week or NO_LIMIT)
        if week_full or day > (rule.day or NO_LIMIT):
            over[(s, channel)] = week_full
    return over


NO_LIMIT = 2**31 - 1
# PostgreSQL: one statement over arrays of keys, whatever the batch size; only the rows
# over a limit come back.
_PG_COUNT = text(
    """
    WITH counted AS (
        INSERT INTO contact_counts AS l (student_id, channel, day, day_count, week, week_count)
        SELECT k.student_id, k.channel, :day, 1, :week, 1
        FROM unnest(CAST(:students AS bigint[]), CAST(:channels AS text[]))
             AS k(student_id, channel)
        ORDER BY k.student_id, k.channel
        ON CONFLICT (student_id, channel) DO UPDATE SET
            day_count = CASE WHEN l.day = EXCLUDED.day THEN l.day_count + 1 ELSE 1 END,
            day = EXCLUDED.day,
            week_count = CASE WHEN l.week = EXCLUDED.week THEN l.week_count + 1 ELSE 1 END,
            week = EXCLUDED.week
        RETURNING student_id, channel, day_count, week_count
    )
    SELECT counted.student_id, counted.channel, counted.week_count > caps.per_week
    FROM counted
    JOIN unnest(CAST(:capped AS text[]), CAST(:per_day AS integer[]),
                CAST(:per_week AS integer[])) AS caps(channel, per_day, per_week)
      ON caps.channel = counted.channel
    WHERE counted.day_count > caps.per_day OR counted.week_count > caps.per_week
    """
)
_TAKE_BACK = (
    update(LEDGER)
    .where(
        LEDGER.c.student_id == bindparam("b_student"),
        LEDGER.c.channel == bindparam("b_channel"),
    )
    .values(
        day_count=case(
            (LEDGER.c.day == bindparam("b_day"), LEDGER.c.day_count - 1),
            else_=LEDGER.c.day_count,
        ),
        week_count=case(
            (LEDGER.c.week == bindparam("b_week"), LEDGER.c.week_count - 1),
            else_=LEDGER.c.week_count,
        ),
    )
)


def _take_back(session: Session, wanted: Sequence[Wanted], periods: Periods) -> None:
    """One message less in each row of ``wanted``, in the periods it was counted in."""
    if wanted:
        session.execute(
            _TAKE_BACK,
            [
                {
                    "b_student": w.student_id,
                    "b_channel": w.channel.value,
                    "b_day": periods.day,
                    "b_week": periods.week,
                }
                for w in wanted
            ],
        )
