"""Evidence for the quality report in the browser (``/kalite``): choose a graduation term
(and a date range), read the figures per programme, and take them away as XLSX or as a
printable page (A4, which the browser saves as PDF). The figures are
``reports.quality_evidence``'s, within the visitor's students."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from campaigns.access.scopes import student_condition
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError
from campaigns.core.local_days import parse_day
from campaigns.http.deps import services_of
from campaigns.reports import evidence_document
from campaigns.reports.quality_evidence import COLUMNS, Evidence, evidence_for, scope_label
from campaigns.students.choices import audience_choices
from campaigns.web import i18n, sessions
from campaigns.web.downloads import download
from campaigns.web.page_rendering import render


@dataclass(frozen=True, slots=True)
class Asked:
    """What the visitor chose, as typed (kept in the form and the download links)."""

    term: str = ""
    since: str = ""
    until: str = ""

    @classmethod
    def of(cls, request: Request) -> Asked:
        query = request.query_params
        return cls(
            query.get("donem", "").strip()[:60],
            query.get("ilk", "").strip()[:10],
            query.get("son", "").strip()[:10],
        )

    @property
    def query(self) -> str:
        return urlencode({"donem": self.term, "ilk": self.since, "son": self.until})


async def evidence_page(request: Request) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    asked = Asked.of(request)
    services = services_of(request)

    def look(session: Session) -> tuple[list[str], Evidence | None, str | None]:
        terms = audience_choices(
            session, student_condition(session, visitor.actor)
        ).graduation_terms
        if not asked.term:
            return terms, None, None
        try:
            return terms, _evidence(session, request, visitor.actor, asked), None
        except CampaignsError as exc:
            return terms, None, str(exc)

    terms, found, problem = await services.transaction(look)
    return render(
        request,
        "evidence.html",
        language=i18n.for_request(request),
        status=422 if problem else 200,
        visitor=visitor,
        terms=terms,
        asked=asked,
        evidence=found,
        problem=problem,
        columns=COLUMNS,
        show=lambda column, value: evidence_document.shown(
            column, value, found.currency if found else ""
        ),
        period=found.period(services.settings.zone) if found else (None, None),
    )


async def evidence_file(request: Request, kind: str) -> Response:
    """The evidence as XLSX (a download) or as the printable page (shown, to print)."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    asked = Asked.of(request)
    services = services_of(request)
    zone = services.settings.zone
    try:
        found = await services.transaction(
            lambda session: _evidence(session, request, visitor.actor, asked)
        )
    except CampaignsError:
        return await evidence_page(request)
    if kind == "xlsx":
        name = evidence_document.file_name(found, "xlsx").removesuffix(".xlsx")
        return download(evidence_document.xlsx_document(found, zone), name, "xlsx")
    html = evidence_document.html_document(found, scope=scope_label(visitor.actor), zone=zone)
    return HTMLResponse(html, headers={"Cache-Control": "no-store"})


def _evidence(session: Session, request: Request, actor: Actor, asked: Asked) -> Evidence:
    settings = services_of(request).settings
    since = parse_day(asked.since, "ilk") if asked.since else None
    until = parse_day(asked.until, "son") if asked.until else None
    return evidence_for(session, actor, settings, asked.term, since, until)
