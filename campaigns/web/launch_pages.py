"""Launching from the browser: the checks a launch runs shown as a checklist, then one
confirmation that says how many students on which channels, what it should cost and when
the first message leaves. The launch itself runs the same checks again."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.core.errors import NotAllowedError, NotFoundError, StateError
from campaigns.core.models import utcnow
from campaigns.http.deps import services_of
from campaigns.planning import launching
from campaigns.planning.preflight import Preflight
from campaigns.web import i18n, labels, sessions
from campaigns.web.page_rendering import not_found, refused, render

T = TypeVar("T")


async def checklist(request: Request, campaign_id: int) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    try:
        checked = await _run(request, launching.check, visitor, campaign_id, draft=True)
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    except StateError as exc:
        return refused(request, str(exc))
    return _page(request, visitor, campaign_id, checked)


async def launch(request: Request, campaign_id: int) -> Response:
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, _form = posted
    try:
        await _run(request, launching.launch, visitor, campaign_id)
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    except StateError as exc:
        return refused(request, str(exc))
    except launching.PreflightFailed:
        return await checklist(request, campaign_id)
    return RedirectResponse(f"/kampanyalar/{campaign_id}", status_code=303)


async def _run(
    request: Request,
    action: Callable[..., T],
    visitor: sessions.Visitor,
    campaign_id: int,
    **options: bool,
) -> T:
    """``launching.check`` or ``launching.launch`` for the visitor, on a worker thread."""
    services = services_of(request)
    return await run_in_threadpool(
        action,
        services.db,
        services.settings,
        services.env,
        visitor.actor,
        campaign_id,
        now=utcnow(),
        **options,
    )


def _page(
    request: Request, visitor: sessions.Visitor, campaign_id: int, checked: Preflight
) -> Response:
    students: Counter[str] = Counter()
    for wave in checked.waves:
        students.update(wave.by_channel)
    return render(
        request,
        "launch.html",
        language=i18n.for_request(request),
        status=409 if checked.errors else 200,
        visitor=visitor,
        campaign_id=campaign_id,
        checked=checked,
        by_channel={channel: n for channel, n in students.items() if n},
        labels=labels,
    )
