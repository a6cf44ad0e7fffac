"""Pages: Jinja2 templates with autoescaping everywhere, the reader's language, who is signed
in and the form's CSRF token passed to every template."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from starlette.requests import Request
from starlette.responses import HTMLResponse

from campaigns.core.durations import format_duration
from campaigns.core.figures import money, number, percent
from campaigns.http.deps import services_of
from campaigns.web import i18n

TEMPLATES: Final = Path(__file__).parent / "templates"

_environment = Environment(
    loader=FileSystemLoader(TEMPLATES, encoding="utf-8"),
    autoescape=True,
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,
)


def when(moment: datetime | None, zone: ZoneInfo) -> str:
    """A time on the service's clock, as ``30.11.2026 14:05``."""
    return "—" if moment is None else moment.astimezone(zone).strftime("%d.%m.%Y %H:%M")


def render(
    request: Request,
    name: str,
    *,
    language: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    """The page ``name`` in ``language``; ``context`` may use ``_`` (gettext)."""
    catalog = i18n.translations(language)
    template = _environment.get_template(name)
    html = template.render(
        request=request,
        language=language,
        other_language="en" if language == "tr" else "tr",
        _=catalog.gettext,
        percent=lambda share: percent(share, language),
        number=lambda value: number(value, language),
        when=lambda moment: when(moment, services_of(request).settings.zone),
        money=lambda amount, currency: money(amount, currency, language),
        duration=format_duration,
        **context,
    )
    headers = {"Content-Language": language, "Cache-Control": "no-store"}
    return HTMLResponse(html, status_code=status, headers=headers)


def message_page(request: Request, title: str, text: str, status: int) -> HTMLResponse:
    """A page that says what happened and what to do next."""
    return render(
        request,
        "message.html",
        language=i18n.for_request(request),
        status=status,
        visitor=None,
        title=title,
        text=text,
    )


def expired_form(request: Request) -> HTMLResponse:
    """A form came without its CSRF token (or another session's): nothing was done."""
    _ = i18n.gettext_for(request)
    return message_page(
        request,
        _("The form has expired"),
        _("For your security this form can no longer be sent. Open the page again and retry."),
        403,
    )


def not_found(request: Request) -> HTMLResponse:
    """Anything outside the reader's scope looks like a page that does not exist."""
    _ = i18n.gettext_for(request)
    return message_page(
        request, _("Page not found"), _("There is nothing here for you. Go to the start page."), 404
    )


def refused(request: Request, reason: str) -> HTMLResponse:
    """An action that does not fit the current state: nothing was done; ``reason`` is the
    use case's own (bilingual) words."""
    _ = i18n.gettext_for(request)
    return message_page(request, _("This cannot be done now"), reason, 409)
