"""Conversions: a student reached a goal in the alumni system (registered, form handed in).

Recording is idempotent and safe under concurrency: one row per (student number, stage),
written with an upsert in which the earliest time wins. Student numbers we do not know yet
are kept as unmatched and linked when the student appears in a later list import.

Each conversion is attributed to the last message that reached the student before it
(delivered, or sent when there is no delivery data) within the attribution window, and the
first such message is kept too, with the time from it to the conversion.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any, Literal

from sqlalchemy import case, func, or_, select, text, update
from sqlalchemy.orm import Session

from campaigns.core.dialects import upsert
from campaigns.core.models import (
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    Student,
    utcnow,
)

LOOKUP_CHUNK = 1000
DEFAULT_WINDOW = timedelta(days=14)
REACHED = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)
EARLIEST_YEAR = 2000
# Clocks differ a little; a conversion more than a day ahead is a wrong date, not skew.
FUTURE_TOLERANCE = timedelta(days=1)


def conversion_time(value: datetime, *, zone: tzinfo, now: datetime) -> datetime:
    """When a conversion happened, in UTC (a time without a zone is local to ``zone``).

    Raises ``ValueError`` (bilingual) for a time before 2000 or in the future: such a time is
    a mistake in the data, and times at the edge of the calendar cannot even be converted
    to UTC (``0001-01-01T00:00:00+14:00``).
    """
    if value.year < EARLIEST_YEAR or value > _naive_like(now + FUTURE_TOLERANCE, value):
        raise ValueError(
            f"tarih {EARLIEST_YEAR} ile bugün arasında olmalı: {value.isoformat()} / "
            f"the time must lie between {EARLIEST_YEAR} and today: {value.isoformat()}"
        )
    aware = value if value.tzinfo is not None else value.replace(tzinfo=zone)
    utc = aware.astimezone(UTC)
    if utc > now + FUTURE_TOLERANCE:
        raise ValueError(
            f"tarih gelecekte: {value.isoformat()} / the time is in the future: {value.isoformat()}"
        )
    return utc


def _naive_like(limit: datetime, value: datetime) -> datetime:
    """``limit`` comparable with ``value`` (a wall-clock time when ``value`` has no zone; a
    day's margin more, so no zone on Earth is refused wrongly)."""
    if value.tzinfo is not None:
        return limit
    return (limit + timedelta(days=1)).replace(tzinfo=None)


@dataclass(frozen=True, slots=True)
class ConversionInput:
    """One reported conversion; ``row`` locates it in an imported file."""

    student_no: str
    occurred_at: datetime
    stage: ConversionStage = ConversionStage.REGISTERED
    row: int | None = None


Outcome = Literal["recorded", "earlier", "unchanged"]


@dataclass(slots=True)
class ConversionReport:
    recorded: int = 0
    earlier: int = 0
    unchanged: int = 0
    unmatched: list[str] = field(default_factory=list)
    outcomes: dict[tuple[str, ConversionStage], Outcome] = field(default_factory=dict)

    def part(self, entries: Iterable[ConversionInput]) -> ConversionReport:
        """The report of some of the entries recorded together (one request of a batch)."""
        keys = {(e.student_no, e.stage) for e in entries}
        part = ConversionReport(outcomes={k: self.outcomes[k] for k in keys})
        for outcome in part.outcomes.values():
            setattr(part, outcome, getattr(part, outcome) + 1)
        numbers = {number for number, _ in keys}
        part.unmatched = [n for n in self.unmatched if n in numbers]
        return part

    def as_dict(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "earlier": self.earlier,
            "unchanged": self.unchanged,
            "unmatched": len(self.unmatched),
            "unmatched_student_nos": self.unmatched,
        }


def earliest_reports(
    entries: Iterable[ConversionInput],
) -> dict[tuple[str, ConversionStage], ConversionInput]:
    """The earliest report per student and stage: the time a conversion is recorded at."""
    earliest: dict[tuple[str, ConversionStage], ConversionInput] = {}
    for entry in entries:
        key = (entry.student_no, entry.stage)
        if key not in earliest or entry.occurred_at < earliest[key].occurred_at:
            earliest[key] = entry
    return earliest


def record_conversions(
    session: Session,
    entries: Iterable[ConversionInput],
    *,
    source: str,
    window: timedelta = DEFAULT_WINDOW,
) -> ConversionReport:
    """Store conversions in bulk; a later report of an earlier time moves the time back."""
    earliest = earliest_reports(entries)
    if not earliest:
        return ConversionReport()
    if session.get_bind().dialect.name == "postgresql":
        return record_in_one_statement(session, earliest, source, window)
    return record_portably(session, earliest, source, window)


def record_portably(
    session: Session,
    earliest: dict[tuple[str, ConversionStage], ConversionInput],
    source: str,
    window: timedelta,
) -> ConversionReport:
    """The earliest report per student and stage, upserted and attributed in portable SQL
    (SQLite); on PostgreSQL it must leave the rows ``record_in_one_statement`` leaves (a
    test compares)."""
    report = ConversionReport()
    numbers = sorted({no for no, _ in earliest})
    students: dict[str, int] = {}
    existing: dict[tuple[str, ConversionStage], datetime] = {}
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start : start + LOOKUP_CHUNK]
        students.update(
            (row.student_no, row.id)
            for row in session.execute(
                select(Student.student_no, Student.id).where(Student.student_no.in_(chunk))
            )
        )
        existing.update(
            ((row.student_no, row.stage), row.occurred_at)
            for row in session.execute(
                select(Conversion.student_no, Conversion.stage, Conversion.occurred_at).where(
                    Conversion.student_no.in_(chunk)
                )
            )
        )

    changed: list[dict[str, Any]] = []
    now = utcnow()
    for (number, stage), entry in sorted(earliest.items()):
        if number not in students and number not in report.unmatched:
            report.unmatched.append(number)
        before = existing.get((number, stage))
        outcome: Outcome = (
            "recorded"
            if before is None
            else "earlier"
            if entry.occurred_at < before
            else "unchanged"
        )
        report.outcomes[(number, stage)] = outcome
        setattr(report, outcome, getattr(report, outcome) + 1)
        if outcome == "unchanged":
            continue
        changed.append(
            {
                "student_no": number,
                "student_id": students.get(number),
                "stage": stage.value,
                "occurred_at": entry.occurred_at,
                "source": source,
                "recorded_at": now,
            }
        )
    if changed:
        _upsert(session, changed)
        attribute(
            session,
            [(r["student_no"], ConversionStage(r["stage"])) for r in changed],
            window=window,
        )
    return report


def record_in_one_statement(
    session: Session,
    earliest: dict[tuple[str, ConversionStage], ConversionInput],
    source: str,
    window: timedelta,
) -> ConversionReport:
    """PostgreSQL: match, upsert and attribute in one statement (the webhook's hot path).
    The rules are those of the general path (``_upsert`` and ``attribute``) in SQL. Rows are
    written in key order, so overlapping concurrent batches wait instead of deadlocking."""
    now = utcnow()
    rows = [
        {
            "student_no": number,
            "stage": stage.value,
            "occurred_at": entry.occurred_at.isoformat(),
            "window_start": (entry.occurred_at - window).isoformat(),
            "source": source,
            "recorded_at": now.isoformat(),
        }
        for (number, stage), entry in sorted(earliest.items())
    ]
    report = ConversionReport()
    for row in session.execute(_RECORD, {"rows": json.dumps(rows)}):
        key = (row.student_no, ConversionStage(row.stage))
        outcome: Outcome = (
            "unchanged" if row.inserted is None else "recorded" if row.inserted else "earlier"
        )
        report.outcomes[key] = outcome
        setattr(report, outcome, getattr(report, outcome) + 1)
        if row.student_id is None and row.student_no not in report.unmatched:
            report.unmatched.append(row.student_no)
    return report


_TOUCHED = "coalesce(m.delivered_at, m.sent_at)"
_REACHED = (
    "(m.status IN ("
    + ", ".join(f"'{s.value}'" for s in REACHED)
    + ") OR m.delivered_at IS NOT NULL)"
)
_RECORD = text(
    f"""
    WITH v AS (
        SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(student_no text,
            stage text, occurred_at timestamptz, window_start timestamptz, source text,
            recorded_at timestamptz)
    ),
    s AS (
        SELECT v.*, st.id AS student_id,
            (SELECT m.id FROM messages m WHERE m.student_id = st.id AND {_REACHED}
                AND {_TOUCHED} <= v.occurred_at AND {_TOUCHED} >= v.window_start
                ORDER BY {_TOUCHED} DESC, m.id DESC LIMIT 1) AS last_message_id,
            first.id AS first_message_id,
            CAST(extract(epoch FROM v.occurred_at - first.touched) AS integer) AS seconds
        FROM v
        LEFT JOIN students st ON st.student_no = v.student_no
        LEFT JOIN LATERAL (
            SELECT m.id, {_TOUCHED} AS touched FROM messages m
            WHERE m.student_id = st.id AND {_REACHED} AND {_TOUCHED} <= v.occurred_at
            ORDER BY {_TOUCHED}, m.id LIMIT 1
        ) first ON true
    ),
    up AS (
        INSERT INTO conversions (student_no, student_id, stage, occurred_at, source,
            recorded_at, last_message_id, first_message_id, seconds_to_convert)
        SELECT student_no, student_id, stage, occurred_at, source, recorded_at,
            last_message_id, first_message_id, seconds FROM s
        ORDER BY student_no, stage
        ON CONFLICT (student_no, stage) DO UPDATE SET occurred_at = excluded.occurred_at,
            source = excluded.source, last_message_id = excluded.last_message_id,
            first_message_id = excluded.first_message_id,
            seconds_to_convert = excluded.seconds_to_convert
        WHERE excluded.occurred_at < conversions.occurred_at
        RETURNING student_no, stage, (xmax = 0) AS inserted
    )
    SELECT s.student_no, s.stage, s.student_id, up.inserted
    FROM s LEFT JOIN up ON up.student_no = s.student_no AND up.stage = s.stage
    """
)


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert, or move an existing conversion back in time; never forward (concurrent
    writers converge on the earliest time)."""
    statement = upsert(session, Conversion)
    earlier = statement.excluded.occurred_at < Conversion.occurred_at
    # Executed for many rows: compiled once whatever the batch size.
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["student_no", "stage"],
            set_={
                "occurred_at": case(
                    (earlier, statement.excluded.occurred_at), else_=Conversion.occurred_at
                ),
                "source": case((earlier, statement.excluded.source), else_=Conversion.source),
                "student_id": func.coalesce(Conversion.student_id, statement.excluded.student_id),
            },
        ),
        rows,
    )


def attribute(
    session: Session,
    keys: Sequence[tuple[str, ConversionStage]],
    *,
    window: timedelta = DEFAULT_WINDOW,
) -> None:
    """(Re)compute the first and last touch of these conversions from the messages."""
    wanted = set(keys)
    numbers = sorted({number for number, _ in wanted})
    conversions = []
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        conversions += [
            row
            for row in session.execute(
                select(
                    Conversion.id,
                    Conversion.student_no,
                    Conversion.stage,
                    Conversion.student_id,
                    Conversion.occurred_at,
                ).where(
                    Conversion.student_id.is_not(None),
                    Conversion.student_no.in_(numbers[start : start + LOOKUP_CHUNK]),
                )
            )
            if (row.student_no, row.stage) in wanted
        ]
    touches = _touches(session, {c.student_id for c in conversions})
    updates = []
    for conversion in conversions:
        before = [
            t for t in touches.get(conversion.student_id, []) if t[1] <= conversion.occurred_at
        ]
        recent = [t for t in before if t[1] >= conversion.occurred_at - window]
        first = min(before, key=lambda t: t[1]) if before else None
        last = max(recent, key=lambda t: t[1]) if recent else None
        updates.append(
            {
                "id": conversion.id,
                "first_message_id": first[0] if first else None,
                "last_message_id": last[0] if last else None,
                "seconds_to_convert": int((conversion.occurred_at - first[1]).total_seconds())
                if first
                else None,
            }
        )
    if updates:
        session.execute(update(Conversion), updates)


def _touches(session: Session, student_ids: set[int]) -> dict[int, list[tuple[int, datetime]]]:
    """When each message reached its student: delivered, or else sent."""
    touched = func.coalesce(Message.delivered_at, Message.sent_at)
    found: dict[int, list[tuple[int, datetime]]] = defaultdict(list)
    ids = sorted(student_ids)
    for start in range(0, len(ids), LOOKUP_CHUNK):
        for row in session.execute(
            select(Message.student_id, Message.id, touched.label("touched")).where(
                Message.student_id.in_(ids[start : start + LOOKUP_CHUNK]),
                or_(Message.status.in_(REACHED), Message.delivered_at.is_not(None)),
                touched.is_not(None),
            )
        ):
            found[row.student_id].append((row.id, row.touched))
    return found
