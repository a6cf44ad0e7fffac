"""Conversions: a student reached a goal in the alumni system (registered, form handed in).

Recording is idempotent: one row per (student number, stage), and the earliest time wins.
Student numbers we do not know yet are kept as unmatched and linked when the student
appears in a later list import.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.models import Conversion, ConversionStage, Student, utcnow

LOOKUP_CHUNK = 1000


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
    session: Session, entries: Iterable[ConversionInput], *, source: str
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
    existing: dict[tuple[str, ConversionStage], Conversion] = {}
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        chunk = numbers[start : start + LOOKUP_CHUNK]
        students.update(
            (row.student_no, row.id)
            for row in session.execute(
                select(Student.student_no, Student.id).where(Student.student_no.in_(chunk))
            )
        )
        for conversion in session.scalars(
            select(Conversion).where(Conversion.student_no.in_(chunk))
        ):
            existing[(conversion.student_no, conversion.stage)] = conversion
    now = utcnow()
    for key, entry in earliest.items():
        student_id = students.get(entry.student_no)
        if student_id is None and entry.student_no not in report.unmatched:
            report.unmatched.append(entry.student_no)
        current = existing.get(key)
        if current is None:
            session.add(
                Conversion(
                    student_no=entry.student_no,
                    student_id=student_id,
                    stage=entry.stage,
                    occurred_at=entry.occurred_at,
                    source=source,
                    recorded_at=now,
                )
            )
            report.recorded += 1
        elif entry.occurred_at < current.occurred_at:
            current.occurred_at = entry.occurred_at
            current.source = source
            current.student_id = current.student_id or student_id
            report.earlier += 1
        else:
            report.unchanged += 1
    session.flush()
    return report


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
