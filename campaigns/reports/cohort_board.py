"""The cohort board: per graduation term, how many of the caller's students have registered,
handed in the membership form, cannot be reached, or opted out. One query, in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from campaigns.access.scopes import student_condition
from campaigns.core.actors import Actor
from campaigns.core.models import ConversionStage, Student, Suppression
from campaigns.students.search import converted
from campaigns.students.terms import InvalidTermError, parse_term
from channels.base import Channel


@dataclass(frozen=True, slots=True)
class CohortRow:
    """One graduation term of the caller's students."""

    term: str
    graduating: int
    registered: int
    form_submitted: int
    unreachable: int
    opted_out: int

    def rate(self, count: int) -> float | None:
        """``count`` as a share of the graduating students (None for an empty term)."""
        return count / self.graduating if self.graduating else None


def _reachable() -> ColumnElement[bool]:
    """An address a message could go to: an email, or a mobile phone."""
    return or_(
        Student.email.is_not(None),
        Student.personal_email.is_not(None),
        and_(Student.phone.is_not(None), Student.phone_is_mobile.is_(True)),
    )


def _opted_out() -> ColumnElement[bool]:
    """One of the student's addresses is suppressed (an opt-out, a bounce, a complaint)."""
    return exists().where(
        or_(
            and_(
                Suppression.channel == Channel.EMAIL,
                Suppression.address.in_(
                    [func.lower(Student.email), func.lower(Student.personal_email)]
                ),
            ),
            and_(
                Suppression.channel.in_([Channel.SMS, Channel.WHATSAPP]),
                Suppression.address == Student.phone,
            ),
        )
    )


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def cohort_board(session: Session, actor: Actor) -> list[CohortRow]:
    """The caller's students by graduation term, newest term first (purged students, whose
    contact details are gone, are not counted)."""
    rows = session.execute(
        select(
            Student.graduation_term,
            func.count(),
            _count(converted(ConversionStage.REGISTERED)),
            _count(converted(ConversionStage.FORM_SUBMITTED)),
            _count(not_(_reachable())),
            _count(_opted_out()),
        )
        .where(student_condition(session, actor), Student.purged_at.is_(None))
        .group_by(Student.graduation_term)
    ).all()
    board = [CohortRow(*row) for row in rows]
    return sorted(board, key=_newest_first)


def _newest_first(row: CohortRow) -> tuple[int, int, str]:
    try:
        term = parse_term(row.term)
    except InvalidTermError:  # stored before terms were checked: listed last
        return (1, 0, row.term)
    return (0, -(term.start_year * 10 + term.season), row.term)
