"""The cohort board: per graduation term, how many of the caller's students have registered,
handed in the membership form, cannot be reached, or opted out. One query, in SQL."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, case, func, not_, or_, select, union
from sqlalchemy.orm import Session, aliased

from campaigns.access.scopes import student_condition
from campaigns.core.actors import Actor
from campaigns.core.models import Conversion, ConversionStage, Student, Suppression
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
    """One of the student's addresses is suppressed (an opt-out, a bounce, a complaint):
    the suppressed students are found once, each address by an equality the database can
    hash, then looked up by id (not a subquery per student)."""
    email, sms = Channel.EMAIL, [Channel.SMS, Channel.WHATSAPP]
    matches = (
        (Suppression.channel == email, Suppression.address == func.lower(Student.email)),
        (
            Suppression.channel == email,
            Suppression.address == func.lower(Student.personal_email),
        ),
        (Suppression.channel.in_(sms), Suppression.address == Student.phone),
    )
    stopped = union(
        *(select(Student.id).join(Suppression, and_(*match)) for match in matches)
    ).subquery()
    return Student.id.in_(select(stopped.c.id))


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def cohort_board(session: Session, actor: Actor) -> list[CohortRow]:
    """The caller's students by graduation term, newest term first (purged students, whose
    contact details are gone, are not counted). Conversions are joined (one row per student
    and stage at most), so the count is one pass over the students."""
    registered, form = aliased(Conversion), aliased(Conversion)
    rows = session.execute(
        select(
            Student.graduation_term,
            func.count(),
            func.count(registered.id),
            func.count(form.id),
            _count(not_(_reachable())),
            _count(_opted_out()),
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
