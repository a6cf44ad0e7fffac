"""A campaign's audience as SQL: students matching every non-empty criterion."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import ColumnElement, and_, func, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from campaigns.models import Student

AUDIENCE_COLUMNS: Final[dict[str, InstrumentedAttribute[Any]]] = {
    "graduation_terms": Student.graduation_term,
    "faculties": Student.faculty,
    "departments": Student.department,
    "degrees": Student.degree,
    "advisor_emails": Student.advisor_email,
}


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


def count_audience(session: Session, audience: Mapping[str, Sequence[str]]) -> int:
    """How many students a resolved audience covers."""
    query = select(func.count()).select_from(Student).where(audience_condition(audience))
    return session.scalar(query) or 0
