"""Conversions: a student reached a goal in the alumni system (registered, form handed in).

Recording is idempotent and safe under concurrency: one row per (student number, stage),
written with an upsert in which the earliest time wins. Student numbers we do not know yet
are kept as unmatched and linked when the student appears in a later list import.

Each conversion is attributed to the last message that reached the student before it
(delivered, or sent when there is no delivery data) within the attribution window, and the
first such message is kept too, with the time from it to the conversion.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from campaigns.models import Conversion, ConversionStage, Message, MessageStatus, Student, utcnow

LOOKUP_CHUNK = 1000
DEFAULT_WINDOW = timedelta(days=14)
REACHED = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)


@dataclass(frozen=True, slots=True)
class ConversionInput:
    """One reported conversion; ``row`` locates it in an imported file."""

    student_no: str
    occurred_at: datetime
    stage: ConversionStage = ConversionStage.REGISTERED
    row: int | None = None


@dataclass(slots=True)
class ConversionReport:
    recorded: int = 0
    earlier: int = 0
    unchanged: int = 0
    unmatched: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "recorded": self.recorded,
            "earlier": self.earlier,
            "unchanged": self.unchanged,
            "unmatched": len(self.unmatched),
            "unmatched_student_nos": self.unmatched,
        }


def record_conversions(
    session: Session,
    entries: Iterable[ConversionInput],
    *,
    source: str,
    window: timedelta = DEFAULT_WINDOW,
) -> ConversionReport:
    """Store conversions in bulk; a later report of an earlier time moves the time back."""
    earliest: dict[tuple[str, ConversionStage], ConversionInput] = {}
    for entry in entries:
        key = (entry.student_no, entry.stage)
        if key not in earliest or entry.occurred_at < earliest[key].occurred_at:
            earliest[key] = entry
    report = ConversionReport()
    if not earliest:
        return report

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
        if before is not None and before <= entry.occurred_at:
            report.unchanged += 1
            continue
        if before is None:
            report.recorded += 1
        else:
            report.earlier += 1
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


def _upsert(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert, or move an existing conversion back in time; never forward (concurrent
    writers converge on the earliest time)."""
    dialect = session.get_bind().dialect.name
    statement = (postgresql_insert if dialect == "postgresql" else sqlite_insert)(Conversion)
    earlier = statement.excluded.occurred_at < Conversion.occurred_at
    for start in range(0, len(rows), LOOKUP_CHUNK):
        session.execute(
            statement.values(rows[start : start + LOOKUP_CHUNK]).on_conflict_do_update(
                index_elements=["student_no", "stage"],
                set_={
                    "occurred_at": case(
                        (earlier, statement.excluded.occurred_at), else_=Conversion.occurred_at
                    ),
                    "source": case((earlier, statement.excluded.source), else_=Conversion.source),
                    "student_id": func.coalesce(
                        Conversion.student_id, statement.excluded.student_id
                    ),
                },
            )
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


def link_unmatched(session: Session) -> int:
    """Attach conversions recorded before their student was imported."""
    student_id = (
        select(Student.id).where(Student.student_no == Conversion.student_no).scalar_subquery()
    )
    result = session.execute(
        update(Conversion)
        .where(Conversion.student_id.is_(None), student_id.is_not(None))
        .values(student_id=student_id)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]
