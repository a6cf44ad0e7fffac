"""The values a campaign's audience can be chosen from: the graduation terms, faculties,
departments and degrees of the students within a scope, as stored (so a chosen value
matches without spelling rules)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from campaigns.students.audience import AUDIENCE_COLUMNS


@dataclass(frozen=True, slots=True)
class AudienceChoices:
    graduation_terms: list[str]
    faculties: list[str]
    departments: list[str]
    degrees: list[str]


def audience_choices(session: Session, within: ColumnElement[bool]) -> AudienceChoices:
    """The distinct values of each audience criterion among the students ``within``."""

    def values(key: str) -> list[str]:
        column = AUDIENCE_COLUMNS[key]
        found = session.scalars(
            select(column).where(within, column.is_not(None)).distinct().order_by(column)
        )
        return [value for value in found if value]

    return AudienceChoices(
        graduation_terms=values("graduation_terms"),
        faculties=values("faculties"),
        departments=values("departments"),
        degrees=values("degrees"),
    )
