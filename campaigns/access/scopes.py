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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, select, true
from sqlalchemy.orm import Session, selectinload

from campaigns.core.errors import InvalidDefinitionError, NotFoundError, Problem
from campaigns.core.models import Campaign, Role, Student, User
from campaigns.core.settings import Settings
from campaigns.definitions import lifecycle
from campaigns.students.audience import (
    Scope,
    count_campaign_audience,
    scope_condition,
    spellings,
)
from campaigns.students.audience import (
    campaign_condition as reached_by,
)


@dataclass(frozen=True, slots=True)
class Validation:
    """A campaign definition checked for a user: every problem, and how many students the
    campaign would reach (within its scope) when it is valid."""

    problems: list[Problem] = field(default_factory=list)
    audience_size: int | None = None

    @property
    def valid(self) -> bool:
        return not self.problems


# --- conditions ------------------------------------------------------------------------------


def user_scope(user: User) -> Scope | None:
    """The scope of ``user`` (an advisor's when no other role matches); None for a
    coordinator without a faculty, who sees nothing."""
    if user.role is Role.ADMIN:
        return Scope()
    if user.role is Role.COORDINATOR:
        return Scope(faculty=user.faculty) if user.faculty else None
    return Scope(faculty=user.faculty, advisor=user.email.lower())


def student_condition(session: Session, user: User) -> ColumnElement[bool]:
    """The students ``user`` may see."""
    scope = user_scope(user)
    return false() if scope is None else scope_condition(session, scope)


def campaign_condition(session: Session, user: User) -> ColumnElement[bool]:
    """The campaigns ``user`` may see: those declared for their scope or a narrower one."""
    scope = user_scope(user)
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


def get_campaign(session: Session, user: User, campaign_id: int) -> Campaign:
    """The campaign if ``user`` may see it; ``NotFoundError`` otherwise, as if it did not
    exist."""
    query = select(Campaign).where(Campaign.id == campaign_id, campaign_condition(session, user))
    campaign = session.scalars(query).first()
    if campaign is None:
        raise NotFoundError(
            f"{campaign_id} numaralı kampanya bulunamadı / campaign {campaign_id} not found"
        )
    return campaign


def list_campaigns(session: Session, user: User) -> Sequence[Campaign]:
    """The campaigns ``user`` may see, oldest first, with their waves loaded."""
    query = (
        select(Campaign)
        .where(campaign_condition(session, user))
        .options(selectinload(Campaign.waves))
        .order_by(Campaign.id)
    )
    return session.scalars(query).all()


def get_student(session: Session, user: User, student_no: str) -> Student:
    """The student if ``user`` may see them; ``NotFoundError`` otherwise."""
    query = select(Student).where(
        Student.student_no == student_no, student_condition(session, user)
    )
    student = session.scalars(query).first()
    if student is None:
        raise NotFoundError(f"öğrenci bulunamadı / student not found: {student_no}")
    return student


def first_student(session: Session, user: User, campaign: Campaign) -> Student:
    """The first student (by number) the campaign reaches that ``user`` may see."""
    query = (
        select(Student)
        .where(reached_by(session, campaign), student_condition(session, user))
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


# --- creating --------------------------------------------------------------------------------


def validate_campaign(
    session: Session, user: User, data: Mapping[str, Any], *, settings: Settings
) -> Validation:
    """Check a definition as ``create_campaign`` would, storing nothing."""
    try:
        campaign = _build(session, user, data, settings=settings)
    except InvalidDefinitionError as exc:
        return Validation(problems=exc.problems)
    return Validation(audience_size=count_campaign_audience(session, campaign))


def create_campaign(
    session: Session, user: User, data: Mapping[str, Any], *, settings: Settings
) -> Campaign:
    """Store a definition as a draft campaign created by ``user``, declared for their scope
    (an admin may choose another). Audience values are matched against the students of that
    scope only: a value that only students outside it have is "not found"."""
    campaign = _build(session, user, data, settings=settings)
    session.add(campaign)
    session.flush()
    return campaign


def _build(
    session: Session, user: User, data: Mapping[str, Any], *, settings: Settings
) -> Campaign:
    """The campaign ``user`` would create: declared for their scope (an admin's: the one the
    definition chooses, or everyone), its audience resolved among that scope's students."""
    scope = user_scope(user)
    if scope is None:
        raise NotFoundError("kapsamınız yok / you have no scope")
    caller = None if user.role is Role.ADMIN else scope
    definition = lifecycle.check_definition(session, data, settings=settings, scope=caller)
    campaign = lifecycle.build_campaign(session, definition, settings=settings, scope=caller)
    campaign.created_by = user.email
    return campaign
