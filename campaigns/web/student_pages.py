"""A student's page, and the advisor's one-off reminder from it: the message of a wave the
advisor chooses, sent to this student now through the usual pipeline."""

from __future__ import annotations

from typing import Final
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.core.errors import NotAllowedError, NotFoundError, StateError
from campaigns.core.models import utcnow
from campaigns.http.deps import services_of
from campaigns.planning import one_off
from campaigns.reports.student_profile import Profile, student_profile
from campaigns.tracking import replies
from campaigns.web import i18n, labels, sessions
from campaigns.web.page_rendering import message_page, not_found, refused, render

REMINDED: Final = ("sent", "already")


def _missing(request: Request) -> Response:
    _ = i18n.gettext_for(request)
    return message_page(
        request,
        _("Student not found"),
        _("None of your students has this number. Search the students list."),
        404,
    )


async def student_page(request: Request, student_no: str) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    number = student_no[:32]

    def look(session: Session) -> tuple[Profile, list[one_off.Choice], list[replies.Reply]]:
        profile = student_profile(session, visitor.actor, number)
        written = replies.of_student(session, profile.student.id)
        return profile, one_off.choices(session, visitor.actor, number), written

    try:
        profile, choices, written = await services_of(request).transaction(look)
    except NotFoundError:
        return _missing(request)
    reminded = request.query_params.get("hatirlatma", "")
    return render(
        request,
        "student.html",
        language=i18n.for_request(request),
        visitor=visitor,
        profile=profile,
        choices=choices,
        replies=written,
        reminded=reminded if reminded in REMINDED or reminded in labels.SKIP else "",
        labels=labels,
    )


async def remind(request: Request, student_no: str) -> Response:
    """Send the chosen wave's message to this student now (``wave`` is ``<campaign id>:<wave
    name>``); the page then says what happened."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    campaign, _, wave = sessions.field(form, "wave", 120).partition(":")
    if not campaign.isdigit() or len(campaign) > 9 or not wave:
        return not_found(request)
    services = services_of(request)

    def act(session: Session) -> str:
        reminder = one_off.remind(
            session,
            services.settings,
            visitor.actor,
            student_no=student_no[:32],
            campaign_id=int(campaign),
            wave_name=wave,
            now=utcnow(),
        )
        if not reminder.created:
            return "already"
        skipped = reminder.skipped
        return skipped.value if skipped is not None else "sent"

    try:
        outcome = await services.transaction(act)
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    except StateError as exc:
        return refused(request, str(exc))
    query = urlencode({"hatirlatma": outcome})
    return RedirectResponse(f"/ogrenciler/{quote(student_no[:32], safe='')}?{query}", 303)
