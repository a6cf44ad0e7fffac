"""The Student Affairs desk: find a student by their number and record that they handed in
the printed membership form (P1.3.FR.0058). Nothing else is open to the desk."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.conversions.recording import ConversionInput, record_conversions
from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import NotAllowedError, NotFoundError
from campaigns.core.models import Conversion, ConversionStage, Role, Student, utcnow

DESK_ROLES = frozenset({Role.DESK, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class DeskCard:
    """What the desk sees of a student: enough to be sure it is the right person."""

    student_no: str
    name: str
    faculty: str
    department: str
    term: str
    registered_at: datetime | None
    form_received_at: datetime | None


def allowed(actor: Actor) -> bool:
    """The desk's page is open to ``actor``."""
    return actor.role in DESK_ROLES


def _require_desk(actor: Actor) -> None:
    if not allowed(actor):
        raise NotAllowedError(
            "yalnızca Öğrenci İşleri masası ve Mezunlar Ofisi / only the Student Affairs desk "
            "and the alumni office may do this"
        )


def look_up(session: Session, actor: Actor, student_no: str) -> DeskCard:
    """The student with exactly this number (purged students are not found)."""
    _require_desk(actor)
    number = student_no.strip()[:32]
    student = session.scalars(
        select(Student).where(Student.student_no == number, Student.purged_at.is_(None))
    ).first()
    if student is None:
        raise NotFoundError(f"öğrenci bulunamadı / student not found: {number}")
    stages = dict(
        session.execute(
            select(Conversion.stage, Conversion.occurred_at).where(
                Conversion.student_no == student.student_no
            )
        ).all()
    )
    return DeskCard(
        student.student_no,
        student.full_name,
        student.faculty,
        student.department,
        student.graduation_term,
        stages.get(ConversionStage.REGISTERED),
        stages.get(ConversionStage.FORM_SUBMITTED),
    )


def record_form_received(
    session: Session,
    actor: Actor,
    student_no: str,
    *,
    window: timedelta,
    now: datetime | None = None,
) -> DeskCard:
    """Record the form as received now (an earlier record stays: the first time counts),
    credited to the messages before it like any conversion, and audited."""
    card = look_up(session, actor, student_no)
    if card.form_received_at is not None:
        return card
    received = now or utcnow()
    record_conversions(
        session,
        [ConversionInput(card.student_no, received, ConversionStage.FORM_SUBMITTED)],
        source="desk",
        window=window,
    )
    audit.record(session, actor.name, "conversion.form_received", f"student:{card.student_no}")
    return replace(card, form_received_at=received)
