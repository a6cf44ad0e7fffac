"""What each user may see and do, as SQL conditions applied inside every query.

- admin: everything;
- coordinator: the students of their faculty, the campaigns whose ``scope_faculty`` is it;
- advisor: the students whose ``advisor_email`` is theirs (ignoring case), the campaigns
  whose ``scope_advisor`` is them.

Anything outside a user's scope is reported exactly as if it did not exist (``NotFoundError``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, false, func, not_, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session, selectinload

from campaigns import lifecycle
from campaigns.audience import audience_condition, count_audience
from campaigns.errors import CampaignsError, InvalidDefinitionError, NotFoundError, Problem
from campaigns.models import Campaign, Role, Student, User
from campaigns.settings import Settings
from campaigns.text import fold

Column = InstrumentedAttribute[str] | InstrumentedAttribute[str | None]


class OutOfScopeError(CampaignsError):
    """The request reaches students the user may not see (HTTP 403)."""


@dataclass(frozen=True, slots=True)
class Validation:
    """A campaign definition checked for a user: every problem, and how many students the
    audience (narrowed to the user's scope) covers when it is valid."""

    problems: list[Problem] = field(default_factory=list)
    audience_size: int | None = None

    @property
    def valid(self) -> bool:
        return not self.problems


# --- conditions ------------------------------------------------------------------------------


def student_condition(session: Session, user: User) -> ColumnElement[bool]:
    """The students ``user`` may see."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.COORDINATOR and user.faculty:
        return Student.faculty.in_(_spellings(session, Student.faculty, user.faculty))
    if user.role is Role.ADVISOR:
        return func.lower(Student.advisor_email) == user.email.lower()
    return false()


def campaign_condition(session: Session, user: User) -> ColumnElement[bool]:
    """The campaigns ``user`` may see."""
    if user.role is Role.ADMIN:
        return true()
    if user.role is Role.COORDINATOR and user.faculty:
        return Campaign.scope_faculty.in_(_spellings(session, Campaign.scope_faculty, user.faculty))
    if user.role is Role.ADVISOR:
        return func.lower(Campaign.scope_advisor) == user.email.lower()
    return false()


def _spellings(session: Session, column: Column, value: str) -> list[str]:
    """The stored spellings of ``value`` ("MÜHENDİSLİK FAKÜLTESİ", "Mühendislik Fakültesi"):
    SQL cannot fold Turkish letters, and the distinct values of these columns are few."""
    key = fold(value)
    stored = session.scalars(select(column).where(column.is_not(None)).distinct())
    return sorted({spelling for spelling in stored if spelling and fold(spelling) == key})


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


def first_student(session: Session, user: User, audience: Mapping[str, Sequence[str]]) -> Student:
    """The first student (by number) of an audience that ``user`` may see."""
    query = (
        select(Student)
        .where(audience_condition(audience), student_condition(session, user))
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


def students_outside(session: Session, user: User, audience: Mapping[str, Sequence[str]]) -> int:
    """How many students of a resolved audience ``user`` may not see."""
    query = (
        select(func.count())
        .select_from(Student)
        # A student without an advisor makes an advisor's condition NULL, not false: such a
        # student is outside the scope too.
        .where(
            audience_condition(audience),
            not_(func.coalesce(student_condition(session, user), false())),
        )
    )
    return session.scalar(query) or 0


def narrow_audience(
    session: Session, user: User, audience: Mapping[str, Sequence[str]]
) -> dict[str, list[str]]:
    """The audience limited to ``user``'s scope, so that students imported later can never
    widen it: an advisor's gets their address as ``advisor_emails``, a coordinator's their
    faculty as ``faculties`` (kept to what was asked, when something was)."""
    narrowed = {key: list(values) for key, values in audience.items()}
    if user.role is Role.ADVISOR:
        own = _spellings_where(
            session, Student.advisor_email, lambda v: v.lower() == user.email.lower()
        )
        narrowed["advisor_emails"] = _within(audience.get("advisor_emails"), own, user.email)
    elif user.role is Role.COORDINATOR and user.faculty:
        own = _spellings(session, Student.faculty, user.faculty)
        narrowed["faculties"] = _within(audience.get("faculties"), own, user.faculty)
    return narrowed


def _spellings_where(session: Session, column: Column, same: Callable[[str], bool]) -> list[str]:
    stored = session.scalars(select(column).where(column.is_not(None)).distinct())
    return sorted(value for value in stored if value and same(value))


def _within(asked: Sequence[str] | None, own: Sequence[str], fallback: str) -> list[str]:
    kept = [value for value in asked if value in own] if asked else list(own)
    # Never empty: an empty criterion means "any", which would widen the audience.
    return kept or [fallback]


def _scope_problem(outside: int) -> Problem:
    return Problem(
        "audience",
        f"kitlede yetki alanınız dışında {outside} öğrenci var; yalnızca kendi öğrencileriniz "
        f"için kampanya oluşturabilirsiniz / the audience includes {outside} student(s) "
        "outside your scope; you can only create campaigns for your own students",
    )


def validate_campaign(
    session: Session, user: User, data: Mapping[str, Any], *, settings: Settings
) -> Validation:
    """Check a definition as ``create_campaign`` would, storing nothing."""
    try:
        definition = lifecycle.check_definition(session, data, settings=settings)
        audience = lifecycle.resolve_audience(session, definition)
    except InvalidDefinitionError as exc:
        return Validation(problems=exc.problems)
    outside = students_outside(session, user, audience)
    if outside:
        return Validation(problems=[_scope_problem(outside)])
    narrowed = narrow_audience(session, user, audience)
    return Validation(audience_size=count_audience(session, narrowed))


def create_campaign(
    session: Session, user: User, data: Mapping[str, Any], *, settings: Settings
) -> Campaign:
    """Store a definition as a draft campaign created by ``user``.

    ``OutOfScopeError`` if any student the audience matches is outside the user's scope;
    otherwise the stored audience is narrowed to that scope (``narrow_audience``).
    """
    definition = lifecycle.check_definition(session, data, settings=settings)
    audience = lifecycle.resolve_audience(session, definition)
    outside = students_outside(session, user, audience)
    if outside:
        raise OutOfScopeError(_scope_problem(outside).reason)
    campaign = lifecycle.create_campaign(session, definition, settings=settings, actor=user.email)
    # Same students as before narrowing (all are in scope), so the scope fields still hold.
    campaign.audience = narrow_audience(session, user, campaign.audience)
    session.flush()
    return campaign
