"""What each user may see and do, as SQL conditions applied inside every query.

Every user has a scope (``audience.Scope``): an admin everyone; a coordinator their faculty;
an advisor their own students (by advisor address; within their faculty when they have one).
A user sees the students of their scope, and the campaigns declared for it (or for a narrower
scope inside it). A campaign's scope is declared when it is created: its creator's, or one an
admin chooses. Planning reaches only the students of a campaign's scope, at every wave.

Anything outside a user's scope is reported exactly as if it did not exist (``NotFoundError``),
and nothing about it is counted or suggested (a count would tell what the user may not see).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, false, func, select, true
from sqlalchemy.orm import Session, selectinload

from campaigns.core.actors import Actor
from campaigns.core.errors import NotFoundError
from campaigns.core.models import Campaign, Student
from campaigns.students.audience import (
    campaign_condition as reached_by,
)
from campaigns.students.audience import (
    scope_condition,
    spellings,
)

# --- conditions ------------------------------------------------------------------------------


def student_condition(session: Session, actor: Actor) -> ColumnElement[bool]:
    """The students ``actor`` may see."""
    scope = actor.scope
    return false() if scope is None else scope_condition(session, scope)


def campaign_condition(session: Session, actor: Actor) -> ColumnElement[bool]:
    """The campaigns ``actor`` may see: those declared for their scope or a narrower one."""
    scope = actor.scope
    if scope is None:
        return false()
    conditions: list[ColumnElement[bool]] = []
    if scope.faculty is not None:
        faculties = spellings(session, Campaign.scope_faculty, scope.faculty)
        conditions.append(Campaign.scope_faculty.in_(faculties))
    if scope.advisor is not None:
        conditions.append(func.lower(Campaign.scope_advisor) == scope.advisor)
    return and_(true(), *conditions)


# --- reading ---------------------------------------------------------------------------------


def get_campaign(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """The campaign if ``actor`` may see it; ``NotFoundError`` otherwise, as if it did not
    exist."""
    query = select(Campaign).where(Campaign.id == campaign_id, campaign_condition(session, actor))
    campaign = session.scalars(query).first()
    if campaign is None:
        raise NotFoundError(
            f"{campaign_id} numaralı kampanya bulunamadı / campaign {campaign_id} not found"
        )
    return campaign


def list_campaigns(session: Session, actor: Actor) -> Sequence[Campaign]:
    """The campaigns ``actor`` may see, oldest first, with their waves loaded."""
    query = (
        select(Campaign)
        .where(campaign_condition(session, actor))
        .options(selectinload(Campaign.waves))
        .order_by(Campaign.id)
    )
    return session.scalars(query).all()


def get_student(session: Session, actor: Actor, student_no: str) -> Student:
    """The student if ``actor`` may see them; ``NotFoundError`` otherwise."""
    query = select(Student).where(
        Student.student_no == student_no, student_condition(session, actor)
    )
    student = session.scalars(query).first()
    if student is None:
        raise NotFoundError(f"öğrenci bulunamadı / student not found: {student_no}")
    return student


def first_student(session: Session, actor: Actor, campaign: Campaign) -> Student:
    """The first student (by number) the campaign reaches that ``actor`` may see."""
    query = (
        select(Student)
        .where(reached_by(session, campaign), student_condition(session, actor))
        .order_by(Student.student_no)
        .limit(1)
    )
    student = session.scalars(query).first()
    if student is None:
        raise NotFoundError(
            "kampanyanın kitlesinde görebileceğiniz öğrenci yok / "
            "no student of the campaign's audience is within your scope"
        )
    return student


def chosen_student(
    session: Session, actor: Actor, campaign: Campaign, student_no: str | None
) -> Student:
    """The student asked for, or by default the first of the campaign's audience, if
    ``actor`` may see them; ``NotFoundError`` otherwise."""
    if student_no is not None:
        return get_student(session, actor, student_no)
    return first_student(session, actor, campaign)
