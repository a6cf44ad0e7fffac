"""The calendar in the browser (``/takvim``): everyone sees the days nothing is sent in the
year ahead (public holidays, the university's and the faculties' closed days); the alumni
office closes days for everyone or a faculty, a coordinator for their faculty, and either
reopens what they keep. The rules are ``governance.closed_day_book``'s."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.core.errors import CampaignsError, FieldProblem, NotAllowedError, NotFoundError
from campaigns.core.local_days import parse_day
from campaigns.core.models import utcnow
from campaigns.governance import closed_day_book
from campaigns.governance.closed_day_book import ClosedSpan
from campaigns.http.deps import services_of
from campaigns.web import i18n, sessions
from campaigns.web.page_rendering import message_page, not_found, render

UNIVERSITY_WIDE = ""
"""The faculty field's value for the whole university."""


@dataclass(frozen=True, slots=True)
class CalendarView:
    spans: list[ClosedSpan]
    faculties: list[str]
    may_close_all: bool
    reopenable: set[int] = field(default_factory=set)


async def calendar_page(
    request: Request,
    *,
    problem: FieldProblem | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    """The closed days ahead, and the form to close more (for who may)."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    settings = services_of(request).settings
    today = utcnow().astimezone(settings.zone).date()

    def look(session: Session) -> CalendarView:
        spans = closed_day_book.upcoming(session, settings, today)
        return CalendarView(
            spans,
            closed_day_book.faculties_kept_by(session, visitor.actor),
            visitor.actor.is_admin,
            {
                s.id
                for s in spans
                if s.id is not None and closed_day_book.may_keep(visitor.actor, s.faculty)
            },
        )

    view = await services_of(request).transaction(look)
    return render(
        request,
        "calendar.html",
        language=i18n.for_request(request),
        status=422 if problem else 200,
        visitor=visitor,
        view=view,
        today=today,
        problem=problem,
        typed=typed or {},
    )


async def close_days(request: Request) -> Response:
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    typed = {
        name: sessions.field(form, name, 300)
        for name in ("first_day", "last_day", "reason", "faculty")
    }
    today = utcnow().astimezone(services_of(request).settings.zone).date()
    try:
        first = parse_day(typed["first_day"], "first_day")
        last = parse_day(typed["last_day"], "last_day") if typed["last_day"] else first
        await services_of(request).transaction(
            lambda session: closed_day_book.close(
                session,
                visitor.actor,
                first,
                last,
                typed["reason"],
                typed["faculty"] or None,
                today,
            )
        )
    except FieldProblem as exc:
        return await calendar_page(request, problem=exc, typed=typed)
    except NotAllowedError as exc:
        _ = i18n.gettext_for(request)
        return message_page(request, _("Not allowed"), str(exc), 403)
    return RedirectResponse("/takvim", status_code=303)


async def reopen_days(request: Request, closed_id: int) -> Response:
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, _form = posted
    _ = i18n.gettext_for(request)
    try:
        await services_of(request).transaction(
            lambda session: closed_day_book.reopen(session, visitor.actor, closed_id)
        )
    except NotFoundError:
        return not_found(request)
    except NotAllowedError as exc:
        return message_page(request, _("Not allowed"), str(exc), 403)
    except CampaignsError as exc:
        return message_page(request, _("Not done"), str(exc), 422)
    return RedirectResponse("/takvim", status_code=303)
