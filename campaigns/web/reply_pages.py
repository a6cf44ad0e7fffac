"""The advisors' inbox of students' replies: new, assigned, done; each reply opens its
student, and is assigned or closed with one button."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Final
from urllib.parse import quote

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.core.errors import NotAllowedError, NotFoundError
from campaigns.core.models import utcnow
from campaigns.http.deps import services_of
from campaigns.tracking import replies
from campaigns.web import i18n, labels, sessions
from campaigns.web.page_rendering import message_page, not_found, render
from channels.base import ConfigurationError, DeliveryError

log = logging.getLogger(__name__)

TABS: Final[dict[str, replies.State]] = {"yeni": "new", "atanan": "assigned", "biten": "done"}


async def inbox_page(request: Request) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    tab = request.query_params.get("durum", "yeni")
    state = TABS.get(tab, "new")

    def look(session: Session) -> tuple[list[replies.Reply], dict[str, int]]:
        return replies.inbox(session, visitor.actor, state), replies.counts(session, visitor.actor)

    services = services_of(request)
    found, counts = await services.transaction(look)
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
        answer_template=replies.AnswerTemplate.of(services.settings),
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


async def answer(request: Request, reply_id: int) -> Response:
    """Send the typed answer to the student, on the channel and to the address they wrote
    from; the reply is then done."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    text = sessions.field(form, "answer", replies.MAX_ANSWER + 1)
    now = utcnow()
    return await _send(
        request,
        visitor,
        lambda session: replies.prepare_answer(session, visitor.actor, reply_id, text, now),
    )


async def template_answer(request: Request, reply_id: int) -> Response:
    """Send the approved WhatsApp template to a student whose 24 hours have passed."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, _form = posted
    template = replies.AnswerTemplate.of(services_of(request).settings)
    now = utcnow()
    return await _send(
        request,
        visitor,
        lambda session: replies.prepare_template_answer(
            session, visitor.actor, reply_id, template, now
        ),
    )


async def _send(
    request: Request, visitor: sessions.Visitor, prepare: Callable[[Session], replies.Answer]
) -> Response:
    """Prepare the answer, hand it to the provider, keep it on the reply (then done)."""
    _ = i18n.gettext_for(request)
    services = services_of(request)
    try:
        prepared = await services.transaction(prepare)
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    except replies.AnswerRefused as exc:
        return message_page(request, _("The answer was not sent"), str(exc), 422)
    try:
        await run_in_threadpool(
            services.adapters.send_one, prepared.message, provider=prepared.provider
        )
    except (DeliveryError, ConfigurationError) as exc:
        log.warning("answer not sent: %s", type(exc).__name__)
        return message_page(
            request,
            _("The answer was not sent"),
            _("The provider refused the message (%(reason)s). Try again later.") % {"reason": exc},
            502,
        )
    await services.transaction(
        lambda session: replies.record_answer(session, visitor.actor, prepared, utcnow())
    )
    return RedirectResponse("/yanitlar?durum=biten", status_code=303)


async def attachment(request: Request, reply_id: int, file_id: int) -> Response:
    """A reply's file, always as a download (never shown inline, whatever it claims)."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    try:
        found = await services_of(request).transaction(
            lambda session: replies.attachment(session, visitor.actor, reply_id, file_id)
        )
    except NotFoundError:
        return not_found(request)
    return Response(
        found.data or b"",
        media_type=found.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(found.filename)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox",
            "Cache-Control": "no-store",
        },
    )
