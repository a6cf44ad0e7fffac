"""The campaign builder: a form with the same keys as the campaign file, checked by the same
rules (every problem at once, shown at its field), with the audience's size in the caller's
scope counted live; saved as a draft. A campaign file can be imported instead, and any
campaign copied into a new draft."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.access import scopes
from campaigns.core.errors import InvalidDefinitionError, NotFoundError, Problem
from campaigns.core.rendering import template_names
from campaigns.definitions import drafts
from campaigns.definitions.campaign_file import parse_toml
from campaigns.definitions.file_export import local_document
from campaigns.http.deps import services_of
from campaigns.students.choices import AudienceChoices
from campaigns.web import i18n, labels, sessions
from campaigns.web.builder_form import (
    AUDIENCE_KEYS,
    CHANNEL_SLOTS,
    WHO,
    document_of,
    field_of,
    form_of,
)
from campaigns.web.page_rendering import not_found, render

MAX_FILE_BYTES: Final = 256 * 1024


async def builder(request: Request) -> Response:
    """The empty builder, or a copy of a campaign (``?kopya=<id>``) as a new draft."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    settings = services_of(request).settings
    document: dict[str, Any] = {"timezone": settings.timezone}
    source = request.query_params.get("kopya", "")
    if source.isdigit() and len(source) < 10:
        try:
            copied = await services_of(request).transaction(
                lambda session: local_document(
                    scopes.get_campaign(session, visitor.actor, int(source))
                )
            )
        except NotFoundError:
            return not_found(request)
        document = {**copied, "name": ""}
    return await _page(request, visitor, document)


async def posted(request: Request) -> Response:
    """The builder's buttons: add or remove a wave row, check, or save as a draft."""
    form_posted = await sessions.posted_form(request)
    if isinstance(form_posted, Response):
        return form_posted
    visitor, form = form_posted
    document = document_of(form)
    action = sessions.field(form, "action", 20)
    if action == "add":
        return await _page(request, visitor, document, extra_wave=True)
    if action.startswith("remove-") and action[7:].isdigit():
        position = int(action[7:])
        document["waves"] = [w for i, w in enumerate(document["waves"]) if i != position]
        return await _page(request, visitor, document)
    services = services_of(request)
    settings = services.settings
    if action == "check":
        checked = await services.transaction(
            lambda session: drafts.validate(session, visitor.actor, document, settings=settings)
        )
        return await _page(
            request, visitor, document, problems=checked.problems, checked=checked.audience_size
        )
    try:
        campaign_id = await services.transaction(
            lambda session: drafts.create(session, visitor.actor, document, settings=settings).id
        )
    except InvalidDefinitionError as exc:
        return await _page(request, visitor, document, problems=exc.problems)
    return RedirectResponse(f"/kampanyalar/{campaign_id}", status_code=303)


async def imported(request: Request) -> Response:
    """A campaign file uploaded: stored as a draft, or shown in the builder with its
    problems (the form filled with what could be read)."""
    form_posted = await sessions.posted_form(request)
    if isinstance(form_posted, Response):
        return form_posted
    visitor, form = form_posted
    _ = i18n.gettext_for(request)
    upload = form.get("file")
    raw = await upload.read(MAX_FILE_BYTES + 1) if isinstance(upload, UploadFile) else b""
    await form.close()
    document: dict[str, Any] = {"timezone": services_of(request).settings.timezone}
    problem = None
    if not raw:
        problem = _("Choose a campaign file (.toml) first.")
    elif len(raw) > MAX_FILE_BYTES:
        problem = _("The file is larger than 256 KB; a campaign file is much smaller.")
    else:
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            problem = _("The file is not UTF-8 text. Save it as UTF-8 and try again.")
    if problem is not None:
        return await _page(request, visitor, document, problems=[Problem("file", problem)])
    try:
        document = {**document, **parse_toml(text)}
    except InvalidDefinitionError as exc:
        return await _page(request, visitor, document, problems=exc.problems)
    settings = services_of(request).settings
    try:
        campaign_id = await services_of(request).transaction(
            lambda session: drafts.create(session, visitor.actor, text, settings=settings).id
        )
    except InvalidDefinitionError as exc:
        return await _page(request, visitor, document, problems=exc.problems)
    return RedirectResponse(f"/kampanyalar/{campaign_id}", status_code=303)


async def audience_count(request: Request) -> Response:
    """The audience's size for the builder's current choices (an htmx fragment)."""
    form_posted = await sessions.posted_form(request)
    if isinstance(form_posted, Response):
        return form_posted
    visitor, form = form_posted
    audience = document_of(form)["audience"]
    size = await services_of(request).transaction(
        lambda session: drafts.audience_size(session, visitor.actor, audience)
    )
    return render(request, "builder_count.html", language=i18n.for_request(request), size=size)


async def _page(
    request: Request,
    visitor: sessions.Visitor,
    document: Mapping[str, Any],
    *,
    extra_wave: bool = False,
    problems: list[Problem] | None = None,
    checked: int | None = None,
) -> Response:
    services = services_of(request)
    audience = {k: list(v) for k, v in (document.get("audience") or {}).items()}

    def look(session: Session) -> tuple[AudienceChoices, int]:
        found = drafts.choices(session, visitor.actor)
        return found, drafts.audience_size(session, visitor.actor, audience)

    choices, size = await services.transaction(look)
    problems = problems or []
    by_field: dict[str, list[str]] = {}
    for problem in problems:
        by_field.setdefault(field_of(problem.location) or "", []).append(problem.reason)
    return render(
        request,
        "builder.html",
        language=i18n.for_request(request),
        status=422 if problems else 200,
        visitor=visitor,
        form=form_of(document, extra_wave=extra_wave),
        choices=choices,
        audience_keys=AUDIENCE_KEYS,
        templates=template_names(services.settings.templates_dir),
        channel_slots=range(CHANNEL_SLOTS),
        who=list(WHO),
        problems=[(field_of(p.location), p) for p in problems],
        field_problems=by_field,
        size=size,
        checked=checked,
        labels=labels,
    )
