"""The advisors' inbox of students' replies: new, assigned, done; each reply opens its
student, and is assigned or closed with one button."""

from __future__ import annotations

from typing import Final

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.core.errors import NotAllowedError, NotFoundError
from campaigns.http.deps import services_of
from campaigns.tracking import replies
from campaigns.web import i18n, labels, sessions
from campaigns.web.page_rendering import not_found, render

TABS: Final[dict[str, replies.State]] = {"yeni": "new", "atanan": "assigned", "biten": "done"}


async def inbox_page(request: Request) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    tab = request.query_params.get("durum", "yeni")
    state = TABS.get(tab, "new")

    def look(session: Session) -> tuple[list[replies.Reply], dict[str, int]]:
        return replies.inbox(session, visitor.actor, state), replies.counts(session, visitor.actor)

    found, counts = await services_of(request).transaction(look)
    return render(
        request,
        "replies.html",
        language=i18n.for_request(request),
        visitor=visitor,
        replies=found,
        counts=counts,
        tab=tab if tab in TABS else "yeni",
        tabs=TABS,
        labels=labels,
    )


async def change(request: Request, reply_id: int) -> Response:
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    wanted = sessions.field(form, "state", 20)
    if wanted not in replies.STATES:
        return not_found(request)
    state: replies.State = wanted
    try:
        await services_of(request).transaction(
            lambda session: replies.set_state(session, visitor.actor, reply_id, state)
        )
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    back = sessions.field(form, "back", 200)
    return RedirectResponse(
        back if back.startswith("/") and not back.startswith("//") else "/yanitlar", 303
    )
