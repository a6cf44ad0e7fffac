"""The Student Affairs desk's page: a student number in, the student's card out, and one
button that records the membership form as received."""

from __future__ import annotations

from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.conversions import desk
from campaigns.core.errors import NotAllowedError, NotFoundError
from campaigns.http.deps import services_of
from campaigns.web import i18n, sessions
from campaigns.web.page_rendering import not_found, render


async def desk_page(request: Request) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    language = i18n.for_request(request)
    number = request.query_params.get("no", "")
    card, missing = None, False
    if number:
        try:
            card = await services_of(request).transaction(
                lambda session: desk.look_up(session, visitor.actor, number)
            )
        except NotFoundError:
            missing = True
        except NotAllowedError:
            return not_found(request)
    elif not desk.allowed(visitor.actor):
        return not_found(request)
    return render(
        request,
        "desk.html",
        language=language,
        visitor=visitor,
        asked=number.strip(),
        card=card,
        missing=missing,
        recorded=request.query_params.get("kaydedildi") == "1",
    )


async def form_received(request: Request) -> Response:
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    number = sessions.field(form, "no", 32)
    services = services_of(request)
    window = services.settings.attribution_window
    try:
        card = await services.transaction(
            lambda session: desk.record_form_received(session, visitor.actor, number, window=window)
        )
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    query = urlencode({"no": card.student_no, "kaydedildi": "1"})
    return RedirectResponse(f"/masa?{query}", status_code=303)
