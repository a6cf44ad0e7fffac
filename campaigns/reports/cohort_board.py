"""The cohort board: per graduation term (and, when asked, per faculty, department or
advisor within it), how many of the caller's students have registered, handed in the
membership form, cannot be reached, or opted out. One query, in SQL."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, not_, select
from sqlalchemy.orm import Session, aliased

from campaigns.access.scopes import student_condition
from campaigns.core.actors import Actor
from campaigns.core.models import Conversion, ConversionStage, Student
from campaigns.students.reachability import opted_out, reachable
from campaigns.students.terms import InvalidTermError, parse_term


class Breakdown(enum.StrEnum):
    faculty = "faculty"
    department = "department"
    advisor = "advisor"


_KEYS = {
    Breakdown.faculty: Student.faculty,
    Breakdown.department: Student.department,
    Breakdown.advisor: Student.advisor_email,
}


@dataclass(frozen=True, slots=True)
class CohortRow:
    """One graduation term of the caller's students (or one ``key`` within it)."""

    term: str
    key: str | None
    graduating: int
    registered: int
    form_submitted: int
    unreachable: int
    opted_out: int

    def rate(self, count: int) -> float | None:
        """``count`` as a share of the graduating students (None for an empty term)."""
        return count / self.graduating if self.graduating else None


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def cohort_board(session: Session, actor: Actor, by: Breakdown | None = None) -> list[CohortRow]:
    """The caller's students by graduation term, newest term first, and with ``by`` by
    that key within each term (purged students, whose contact details are gone, are not
    counted). Conversions are joined (one row per student and stage at most), so the count
    is one pass over the students."""
    registered, form = aliased(Conversion), aliased(Conversion)
    groups = [Student.graduation_term] + ([_KEYS[by]] if by is not None else [])
    rows = session.execute(
        select(
            *groups,
            func.count(),
            func.count(registered.id),
            func.count(form.id),
            _count(not_(reachable())),
            _count(opted_out()),
        )
        .outerjoin(
            registered,
            and_(
                registered.student_no == Student.student_no,
                registered.stage == ConversionStage.REGISTERED,
            ),
        )
        .outerjoin(
            form,
            and_(
                form.student_no == Student.student_no,
                form.stage == ConversionStage.FORM_SUBMITTED,
            ),
        )
        .where(student_condition(session, actor), Student.purged_at.is_(None))
        .group_by(*groups)
    ).all()
    board = [_row(tuple(row), keyed=by is not None) for row in rows]
    return sorted(board, key=_newest_first)


def _row(values: tuple[Any, ...], *, keyed: bool) -> CohortRow:
    term, key, counts = values[0], values[1] if keyed else None, values[2 if keyed else 1 :]
    return CohortRow(term, key, *(int(count) for count in counts))


def _newest_first(row: CohortRow) -> tuple[int, int, str, str]:
    try:
        term = parse_term(row.term)
    except InvalidTermError:  # stored before terms were checked: listed last
        return (1, 0, row.term, row.key or "")
    return (0, -(term.start_year * 10 + term.season), row.term, row.key or "")
