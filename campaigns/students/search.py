"""Pages of students within a scope: filters, a student-number-or-name prefix, a total."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

from sqlalchemy import ColumnElement, exists, func, not_, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from campaigns.core.models import Conversion, ConversionStage, Message, MessageStatus, Student
from campaigns.core.turkish_text import clean, fold
from campaigns.students.contact_details import normalise_degree
from campaigns.students.reachability import opted_out, reachable
from channels.base import Channel


@dataclass(frozen=True, slots=True)
class StudentPage:
    """One page of students ordered by number, and how many match in all."""

    total: int
    students: Sequence[Student]


def search_students(
    session: Session,
    scope: ColumnElement[bool],
    *,
    term: str | None = None,
    faculty: str | None = None,
    department: str | None = None,
    degree: str | None = None,
    advisor_email: str | None = None,
    consent: bool | None = None,
    registered: bool | None = None,
    form_submitted: bool | None = None,
    reach: Channel | Literal["none"] | None = None,
    stopped: bool | None = None,
    failed: bool | None = None,
    q: str | None = None,
    limit: int | None = 50,
    offset: int = 0,
) -> StudentPage:
    """Students within ``scope`` matching every given filter.

    Text filters ignore case, Turkish letters and accents, as ``campaigns students list``
    does; an advisor email ignores case; a degree may be given in any spelling the importer
    understands ("YL", "master"). ``q`` is the start of a student number, a first name, a
    last name or a full name. ``registered`` and ``form_submitted``: whether the student
    has that conversion (True), or has not yet (False: the worklist). ``reach``: an address
    that channel could use (``"none"``: no channel's). ``stopped``: one of their addresses is
    suppressed. ``failed``: a message to them failed. ``limit`` None: every match.
    """
    conditions: list[ColumnElement[bool]] = [scope]
    for column, wanted in (
        (Student.graduation_term, term),
        (Student.faculty, faculty),
        (Student.department, department),
        (Student.degree, normalise_degree(degree).value if degree else None),
    ):
        if wanted and clean(wanted):
            conditions.append(_folded_match(session, column, wanted))
    if advisor_email and clean(advisor_email):
        conditions.append(func.lower(Student.advisor_email) == clean(advisor_email).lower())
    if consent is not None:
        conditions.append(Student.contact_consent.is_(consent))
    for stage, wanted_stage in (
        (ConversionStage.REGISTERED, registered),
        (ConversionStage.FORM_SUBMITTED, form_submitted),
    ):
        if wanted_stage is not None:
            reached = converted(stage)
            conditions.append(reached if wanted_stage else not_(reached))
    if reach is not None:
        conditions.append(not_(reachable()) if reach == "none" else reachable(reach))
    if stopped is not None:
        conditions.append(opted_out() if stopped else not_(opted_out()))
    if failed is not None:
        failure = exists().where(
            Message.student_id == Student.id, Message.status == MessageStatus.FAILED
        )
        conditions.append(failure if failed else not_(failure))
    if q and clean(q):
        conditions.append(_prefix(clean(q)))
    total = session.scalar(select(func.count()).select_from(Student).where(*conditions)) or 0
    query = select(Student).where(*conditions).order_by(Student.student_no)
    return StudentPage(total, session.scalars(query.limit(limit).offset(offset)).all())


def stages_of(session: Session, numbers: Sequence[str]) -> dict[str, set[ConversionStage]]:
    """Which stages each of these students has reached (registered, form handed in)."""
    reached: dict[str, set[ConversionStage]] = {number: set() for number in numbers}
    if numbers:
        rows = session.execute(
            select(Conversion.student_no, Conversion.stage).where(
                Conversion.student_no.in_(list(numbers))
            )
        )
        for number, stage in rows:
            reached[number].add(stage)
    return reached


def converted(stage: ConversionStage) -> ColumnElement[bool]:
    """The student has reached ``stage`` (registered, handed in the form)."""
    return exists().where(Conversion.student_no == Student.student_no, Conversion.stage == stage)


def _folded_match(
    session: Session, column: InstrumentedAttribute[str], wanted: str
) -> ColumnElement[bool]:
    # The few distinct values of these columns are folded here: SQL cannot fold Turkish.
    key = fold(wanted)
    stored = session.scalars(select(column).distinct())
    return column.in_([value for value in stored if value and fold(value) == key])


# Turkish letters and circumflexes mapped to plain ones before lower-casing, the same way in
# SQL and in Python: SQL's lower() follows the database's locale, and none of them treats
# "I" and "İ" the Turkish way.
_PLAIN: Final = dict(zip("İIıŞşĞğÜüÖöÇçÂâÎîÛû", "iiissgguuoocc" + "aaiiuu", strict=True))


def search_key(text: str) -> str:
    """What a name prefix is compared on: Turkish letters made plain, then lower case."""
    return "".join(_PLAIN.get(ch, ch) for ch in text).lower()


def _search_key_sql(column: ColumnElement[str] | InstrumentedAttribute[str]) -> ColumnElement[str]:
    expression: ColumnElement[str] = column  # type: ignore[assignment]
    for letter, plain in _PLAIN.items():
        expression = func.replace(expression, letter, plain)
    return func.lower(expression)


def _prefix(text: str) -> ColumnElement[bool]:
    if text[:1].isdigit():
        # A number: no name starts with a digit, so the names (folded in SQL, row by row)
        # need not be looked at.
        return Student.student_no.startswith(text, autoescape=True)
    key = search_key(text)
    full_name = Student.first_name + " " + Student.last_name
    return or_(
        Student.student_no.startswith(text, autoescape=True),
        *(
            _search_key_sql(column).startswith(key, autoescape=True)
            for column in (Student.first_name, Student.last_name, full_name)
        ),
    )
