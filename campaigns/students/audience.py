"""Who a campaign reaches, as SQL: students matching every criterion of its audience, within
the scope it was declared for (a faculty, an advisor, or the whole university)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, false, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from campaigns.core.actors import Scope
from campaigns.core.models import Campaign, Student
from campaigns.core.turkish_text import fold

AUDIENCE_COLUMNS: Final[dict[str, InstrumentedAttribute[Any]]] = {
    "graduation_terms": Student.graduation_term,
    "faculties": Student.faculty,
    "departments": Student.department,
    "degrees": Student.degree,
    "advisor_emails": Student.advisor_email,
}

Column = InstrumentedAttribute[str] | InstrumentedAttribute[str | None]


def audience_condition(audience: Mapping[str, Sequence[str]]) -> ColumnElement[bool]:
    """Students matching every non-empty criterion of a resolved audience (values of one
    criterion are alternatives)."""
    return and_(
        true(),
        *(
            column.in_(audience[key])
            for key, column in AUDIENCE_COLUMNS.items()
            if audience.get(key)
        ),
    )


def spellings(session: Session, column: Column, value: str) -> list[str]:
    """The stored spellings of ``value`` ("MÜHENDİSLİK FAKÜLTESİ", "Mühendislik Fakültesi"):
    SQL cannot fold Turkish letters, and the distinct values of these columns are few."""
    key = fold(value)
    stored = session.scalars(select(column).where(column.is_not(None)).distinct())
    return sorted({spelling for spelling in stored if spelling and fold(spelling) == key})


def scope_condition(session: Session, scope: Scope) -> ColumnElement[bool]:
    """The students within ``scope``. A student without an advisor is outside every
    advisor's scope (``coalesce``: their comparison is NULL, not false)."""
    conditions: list[ColumnElement[bool]] = []
    if scope.faculty is not None:
        conditions.append(Student.faculty.in_(spellings(session, Student.faculty, scope.faculty)))
    if scope.advisor is not None:
        advisor = func.lower(Student.advisor_email) == scope.advisor.lower()
        conditions.append(func.coalesce(advisor, false()))
    return and_(true(), *conditions)


def campaign_condition(session: Session, campaign: Campaign) -> ColumnElement[bool]:
    """The students a campaign reaches now: its audience within its declared scope. Planning
    applies it at every wave, so students imported later never widen the scope."""
    return and_(audience_condition(campaign.audience), scope_condition(session, Scope.of(campaign)))


def count_audience(session: Session, audience: Mapping[str, Sequence[str]]) -> int:
    """How many students a resolved audience covers, whatever their scope."""
    return _count(session, audience_condition(audience))


def count_campaign_audience(session: Session, campaign: Campaign) -> int:
    """How many students a campaign reaches now (``campaign_condition``)."""
    return _count(session, campaign_condition(session, campaign))


def _count(session: Session, condition: ColumnElement[bool]) -> int:
    return session.scalar(select(func.count()).select_from(Student).where(condition)) or 0
