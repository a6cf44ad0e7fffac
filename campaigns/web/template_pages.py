"""Message texts in the browser: every part of every template per language, whether it is
the file or an edited version (who, when), an editor that renders the text for a sample
student as it is typed (with the SMS counter), and the history to restore from."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.core.errors import NotAllowedError, NotFoundError
from campaigns.core.models import TemplateText
from campaigns.delivery import edited_texts
from campaigns.delivery.edited_texts import InvalidTextError, TextState
from campaigns.http.deps import services_of
from campaigns.web import i18n, sessions
from campaigns.web.page_rendering import not_found, render
from channels.gsm import sms_info

SMS_PARTS = ("sms", "whatsapp")


async def texts_page(request: Request) -> Response:
    visitor = await sessions.administrator(request)
    if isinstance(visitor, Response):
        return visitor
    services = services_of(request)
    settings = services.settings

    def look(session: Session) -> list[TextState]:
        return [
            edited_texts.current(session, settings, template, part, language)
            for template, part, language in edited_texts.editable(settings)
        ]

    states = await services.transaction(look)
    return render(
        request, "texts.html", language=i18n.for_request(request), visitor=visitor, states=states
    )


def _path(template: str, part: str, language: str) -> str:
    return f"/sablonlar/{template}/{part}/{language}"


async def editor(
    request: Request,
    template: str,
    part: str,
    language: str,
    *,
    draft: str | None = None,
    problem: str | None = None,
) -> Response:
    visitor = await sessions.administrator(request)
    if isinstance(visitor, Response):
        return visitor
    services = services_of(request)
    settings = services.settings

    def look(session: Session) -> tuple[TextState, list[TemplateText]]:
        state = edited_texts.current(session, settings, template, part, language)
        return state, list(edited_texts.history(session, template, part, language))

    try:
        state, versions = await services.transaction(look)
    except NotFoundError:
        return not_found(request)
    text = state.text if draft is None else draft
    return render(
        request,
        "text_editor.html",
        language=i18n.for_request(request),
        status=422 if problem else 200,
        visitor=visitor,
        state=state,
        text=text,
        versions=versions,
        path=_path(template, part, language),
        problem=problem,
        saved=request.query_params.get("kaydedildi") == "1",
        is_html=part == "email.html",
        **_tried(request, template, part, language, text),
    )


def _tried(request: Request, template: str, part: str, language: str, text: str) -> dict[str, Any]:
    """The text rendered for the sample student, or why it cannot be."""
    settings = services_of(request).settings
    try:
        rendered = edited_texts.try_text(settings, template, part, language, text)
    except (InvalidTextError, NotFoundError) as exc:
        return {"rendered": None, "render_problem": str(exc), "sms": None}
    sms = sms_info(rendered) if part in SMS_PARTS else None
    return {"rendered": rendered, "render_problem": None, "sms": sms}


async def tried(request: Request, template: str, part: str, language: str) -> Response:
    """The editor's live preview (an htmx fragment): the typed text rendered."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    if not visitor.actor.is_admin:
        return not_found(request)
    raw = form.get("text")
    text = raw if isinstance(raw, str) else ""
    return render(
        request,
        "text_tried.html",
        language=i18n.for_request(request),
        part=part,
        is_html=part == "email.html",
        **_tried(request, template, part, language, text),
    )


async def save(request: Request, template: str, part: str, language: str) -> Response:
    """Save the typed text as a new version, or (``action=file``) go back to the file, or
    (``action=restore``) bring back an older version."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    raw = form.get("text")
    text: str | None = raw if isinstance(raw, str) else ""
    action = sessions.field(form, "action", 20)
    services = services_of(request)
    settings = services.settings

    def act(session: Session) -> None:
        body = text
        if action == "file":
            body = None
        elif action.startswith("restore-") and action[8:].isdigit():
            wanted = int(action[8:])
            versions = edited_texts.history(session, template, part, language)
            body = next((v.body for v in versions if v.version == wanted), None)
        edited_texts.save(session, visitor.actor, settings, template, part, language, body)

    try:
        await services.transaction(act)
    except (NotAllowedError, NotFoundError):
        return not_found(request)
    except InvalidTextError as exc:
        return await editor(request, template, part, language, draft=text or "", problem=str(exc))
    return RedirectResponse(_path(template, part, language) + "?kaydedildi=1", status_code=303)
