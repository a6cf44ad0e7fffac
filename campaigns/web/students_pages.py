"""The students list: search, filters, the "not registered yet" worklist, pages of 50, and the
same list as XLSX or CSV; always within the signed-in user's scope."""

from __future__ import annotations

from typing import Any, Final, Literal
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import Response

from campaigns.access.scopes import student_condition
from campaigns.core.actors import Actor
from campaigns.core.models import ConversionStage
from campaigns.core.spreadsheets import csv_text, xlsx_bytes
from campaigns.http.deps import services_of
from campaigns.students.search import search_students, stages_of
from campaigns.web import i18n, sessions
from campaigns.web.downloads import download
from campaigns.web.page_rendering import render
from channels.base import Channel

PAGE_SIZE: Final = 50
EXPORT_LIMIT: Final = 100_000
YES_NO: Final = {"evet": True, "hayir": False}
FILTERS: Final = (
    "donem",
    "fakulte",
    "bolum",
    "derece",
    "danisman",
    "ara",
    "kayit",
    "form",
    "ulasim",
    "engel",
    "hata",
)
REACH: Final[dict[str, Channel | Literal["none"]]] = {
    "eposta": Channel.EMAIL,
    "sms": Channel.SMS,
    "whatsapp": Channel.WHATSAPP,
    "yok": "none",
}
EXPORT_COLUMNS: Final = (
    "student_no",
    "first_name",
    "last_name",
    "faculty",
    "department",
    "degree",
    "advisor_name",
    "graduation_term",
    "registered",
    "form_submitted",
)


def chosen(request: Request) -> dict[str, str]:
    """The filters given in the query string (empty ones dropped)."""
    return {k: request.query_params[k].strip() for k in FILTERS if request.query_params.get(k)}


def _search(
    session: Session, actor: Actor, filters: dict[str, str], limit: int, offset: int
) -> tuple[int, list[dict[str, Any]]]:
    page = search_students(
        session,
        student_condition(session, actor),
        term=filters.get("donem"),
        faculty=filters.get("fakulte"),
        department=filters.get("bolum"),
        degree=filters.get("derece"),
        advisor_email=filters.get("danisman"),
        q=filters.get("ara"),
        registered=YES_NO.get(filters.get("kayit", "")),
        form_submitted=YES_NO.get(filters.get("form", "")),
        reach=REACH.get(filters.get("ulasim", "")),
        stopped=YES_NO.get(filters.get("engel", "")),
        failed=YES_NO.get(filters.get("hata", "")),
        limit=limit,
        offset=offset,
    )
    stages = stages_of(session, [s.student_no for s in page.students])
    rows = [
        {
            "student_no": s.student_no,
            "first_name": s.first_name,
            "last_name": s.last_name,
            "name": s.full_name,
            "faculty": s.faculty,
            "department": s.department,
            "degree": s.degree,
            "advisor_name": s.advisor_name or "",
            "graduation_term": s.graduation_term,
            "registered": ConversionStage.REGISTERED in stages[s.student_no],
            "form_submitted": ConversionStage.FORM_SUBMITTED in stages[s.student_no],
        }
        for s in page.students
    ]
    return page.total, rows


async def students_page(request: Request) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    language = i18n.for_request(request)
    filters = chosen(request)
    try:
        number = max(1, int(request.query_params.get("sayfa", "1")))
    except ValueError:
        number = 1
    total, rows = await services_of(request).transaction(
        lambda session: _search(
            session, visitor.actor, filters, PAGE_SIZE, (number - 1) * PAGE_SIZE
        )
    )
    last = max(1, -(-total // PAGE_SIZE))

    def page_link(to: int) -> str:
        return "/ogrenciler?" + urlencode({**filters, "sayfa": to})

    return render(
        request,
        "students.html",
        language=language,
        visitor=visitor,
        filters=filters,
        total=total,
        students=rows,
        page=number,
        last_page=last,
        previous=page_link(number - 1) if number > 1 else None,
        next=page_link(number + 1) if number < last else None,
        export_query=urlencode(filters),
    )


async def students_export(request: Request, kind: str) -> Response:
    """The whole list as ``xlsx`` or ``csv`` (names and study details; no addresses)."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    language = i18n.for_request(request)
    _ = i18n.gettext_for(request)
    filters = chosen(request)
    services = services_of(request)
    _total, rows = await services.transaction(
        lambda session: _search(session, visitor.actor, filters, EXPORT_LIMIT, 0)
    )
    yes, no = _("yes"), _("no")
    for row in rows:
        row["registered"] = yes if row["registered"] else no
        row["form_submitted"] = yes if row["form_submitted"] else no
    headings = [
        _("Student number"),
        _("First name"),
        _("Last name"),
        _("Faculty"),
        _("Department"),
        _("Degree"),
        _("Advisor"),
        _("Term"),
        _("Registered"),
        _("Form handed in"),
    ]
    name = "ogrenciler" if language == "tr" else "students"
    if kind == "xlsx":
        return download(
            xlsx_bytes(headings, EXPORT_COLUMNS, rows, services.settings.zone), name, kind
        )
    return download(csv_text(headings, EXPORT_COLUMNS, rows), name, kind)
