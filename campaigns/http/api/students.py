"""``GET /students`` and ``GET /students/{student_no}``, within the caller's scope."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy.orm import Session

from campaigns.access import scopes
from campaigns.http.api.auth import CurrentActor
from campaigns.http.api.common import ERROR_RESPONSES, NOT_FOUND, Deps, StudentNo, run, text_query
from campaigns.http.api.schemas import StudentDetailOut, StudentOut, StudentPageOut
from campaigns.students.history import message_history
from campaigns.students.search import search_students

router = APIRouter(tags=["students"], responses=ERROR_RESPONSES)

MAX_PAGE = 500


@router.get("/students", response_model=StudentPageOut, summary="Öğrenciler / students")
async def list_students(
    deps: Deps,
    actor: CurrentActor,
    term: Annotated[str | None, text_query("Mezuniyet dönemi / graduation term")] = None,
    faculty: Annotated[str | None, text_query("Fakülte / faculty")] = None,
    department: Annotated[str | None, text_query("Bölüm / department")] = None,
    degree: Annotated[str | None, text_query("Öğrenim düzeyi / degree")] = None,
    advisor_email: Annotated[str | None, text_query("Danışman / advisor's email", 320)] = None,
    consent: Annotated[bool | None, Query(description="İletişim izni / contact consent")] = None,
    q: Annotated[
        str | None, text_query("Öğrenci no ya da ad başı / student number or name prefix", 100)
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> StudentPageOut:
    """Students you may see, by student number. Text filters ignore case and Turkish
    letters; ``q`` matches the start of a student number, first, last or full name."""

    def work(session: Session) -> StudentPageOut:
        page = search_students(
            session,
            scopes.student_condition(session, actor),
            term=term,
            faculty=faculty,
            department=department,
            degree=degree,
            advisor_email=advisor_email,
            consent=consent,
            q=q,
            limit=limit,
            offset=offset,
        )
        return StudentPageOut(
            total=page.total,
            limit=limit,
            offset=offset,
            items=[StudentOut.of(student) for student in page.students],
        )

    return await run(deps, work)


@router.get(
    "/students/{student_no}",
    response_model=StudentDetailOut,
    responses=NOT_FOUND,
    summary="Öğrenci ve mesajları / a student and their messages",
)
async def get_student(deps: Deps, actor: CurrentActor, student_no: StudentNo) -> StudentDetailOut:
    """A student you may see (404 otherwise) with every message planned for them."""

    def work(session: Session) -> StudentDetailOut:
        student = scopes.get_student(session, actor, student_no)
        history = message_history(
            session, student.id, visible=scopes.campaign_condition(session, actor)
        )
        return StudentDetailOut.with_history(student, history)

    return await run(deps, work)
