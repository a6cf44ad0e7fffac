"""Find imported students by term, faculty, department, degree, advisor and consent."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from campaigns.contacts import normalise_degree
from campaigns.models import Student
from campaigns.text import fold


def list_students(
    session: Session,
    *,
    term: str | None = None,
    faculty: str | None = None,
    department: str | None = None,
    degree: str | None = None,
    advisor_email: str | None = None,
    consent: bool | None = None,
    limit: int | None = None,
) -> Sequence[Student]:
    """Students matching every given filter, ordered by student number.

    Text filters match a stored value ignoring case, Turkish letters and accents
    ("muhendislik fakultesi" finds "Mühendislik Fakültesi"); a degree may be given in any
    spelling the importer understands ("YL", "master").
    """
    query = select(Student)
    for column, wanted in (
        (Student.graduation_term, term),
        (Student.faculty, faculty),
        (Student.department, department),
        (Student.advisor_email, advisor_email),
        (Student.degree, normalise_degree(degree).value if degree else None),
    ):
        if wanted:
            query = query.where(_folded_match(session, column, wanted))
    if consent is not None:
        query = query.where(Student.contact_consent.is_(consent))
    query = query.order_by(Student.student_no)
    if limit is not None:
        query = query.limit(limit)
    return session.scalars(query).all()


def _folded_match(
    session: Session,
    column: InstrumentedAttribute[str] | InstrumentedAttribute[str | None],
    wanted: str,
) -> ColumnElement[bool]:
    """``column IN (stored spellings folding to the same key as wanted)``.

    SQL has no Turkish-aware case folding on SQLite, so the few distinct stored values
    (faculties, terms, advisors) are folded here and the match stays an indexed ``IN``.
    """
    key = fold(wanted)
    stored = session.scalars(select(column).distinct().where(column.is_not(None)))
    return column.in_([value for value in stored if value is not None and fold(value) == key])
