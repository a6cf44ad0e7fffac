"""The alumni office's pages: the health of the installation (checks, providers, the
scheduler), users and roles, the audit log, and the suppression list. Administrators only:
anyone else finds nothing here (404). Every change goes through the use case the command
line calls, with its checks and its audit entry."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final
from urllib.parse import urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.access import users
from campaigns.core import audit
from campaigns.core.errors import CampaignsError, NotAllowedError, NotFoundError
from campaigns.core.models import Role, utcnow
from campaigns.delivery import routing
from campaigns.http.deps import services_of
from campaigns.planning.heartbeats import SCHEDULER, last_beat
from campaigns.planning.preflight import check_setup
from campaigns.reports.delivery_health import delivery_health
from campaigns.tracking import suppressions
from campaigns.web import i18n, labels, sessions
from campaigns.web.page_rendering import message_page, not_found, render
from channels.base import Channel

PAGE_SIZE: Final = 50


def _page_number(request: Request) -> int:
    raw = request.query_params.get("sayfa", "1")
    return max(1, int(raw)) if raw.isdigit() and len(raw) < 7 else 1


async def _admin_form(request: Request) -> tuple[sessions.Visitor, FormData] | Response:
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    return posted if posted[0].actor.is_admin else not_found(request)


async def _changed(request: Request, act: Callable[[Session], None], back: str) -> Response:
    """Run a change in a transaction, then show ``back``; what the use case refused, said."""
    try:
        await services_of(request).transaction(act)
    except NotAllowedError:
        return not_found(request)
    except CampaignsError as exc:
        return _refused(request, str(exc))
    return RedirectResponse(back, status_code=303)


def _refused(request: Request, reason: str) -> Response:
    _ = i18n.gettext_for(request)
    return message_page(request, _("Nothing was changed"), reason, 422)


# --- health ----------------------------------------------------------------------------------


async def health(request: Request) -> Response:
    visitor = await sessions.administrator(request)
    if isinstance(visitor, Response):
        return visitor
    services = services_of(request)
    now = utcnow()
    findings = await run_in_threadpool(
        check_setup, services.db, services.settings, services.env, now=now
    )

    settings = services.settings

    def look(session: Session) -> tuple[Any, Any, Any, Any]:
        split = {
            channel: routing.shares(session, channel, settings.providers_for(channel.value))
            for channel in Channel
        }
        return (
            delivery_health(session, now),
            last_beat(session, SCHEDULER),
            split,
            routing.history(session, 20),
        )

    delivery, beat, split, changes = await services.transaction(look)
    return render(
        request,
        "admin_health.html",
        language=i18n.for_request(request),
        visitor=visitor,
        findings=findings,
        delivery=delivery,
        beat=beat,
        split=split,
        changes=changes,
        labels=labels,
    )


async def providers_action(request: Request, channel_name: str, action: str) -> Response:
    """Pin a channel's shares by hand (with a reason), or give them back to health."""
    posted = await _admin_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    channel = _channel(channel_name)
    if channel is None:
        return not_found(request)
    settings = services_of(request).settings
    weights: dict[str, int] = {}
    for name, _ in settings.providers_for(channel.value):
        raw = sessions.field(form, f"share-{name}", 4)
        weights[name] = int(raw) if raw.isdigit() else 0
    reason = sessions.field(form, "reason", 500)

    def act(session: Session) -> None:
        if action == "sabitle":
            routing.pin(session, settings, visitor.actor, channel, weights, reason, utcnow())
        else:
            routing.unpin(session, settings, visitor.actor, channel, utcnow())

    return await _changed(request, act, "/yonetim#providers")


# --- users -----------------------------------------------------------------------------------


async def users_page(request: Request, *, issued: users.IssuedToken | None = None) -> Response:
    visitor = await sessions.administrator(request)
    if isinstance(visitor, Response):
        return visitor
    listed = await services_of(request).transaction(users.list_users)
    return render(
        request,
        "admin_users.html",
        language=i18n.for_request(request),
        visitor=visitor,
        users=listed,
        roles=list(Role),
        issued=issued,
        labels=labels,
    )


def _role(value: str) -> Role | None:
    return Role(value) if value in {role.value for role in Role} else None


async def user_action(request: Request, action: str) -> Response:
    """Add a user, change one's role or faculty, revoke one, or issue a new API token; a
    new token is shown once, on the page that answers."""
    posted = await _admin_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    _ = i18n.gettext_for(request)
    actor = visitor.actor
    email = sessions.field(form, "email", 320)
    role = _role(sessions.field(form, "role", 20))
    faculty = sessions.field(form, "faculty", 200) or None
    phone = sessions.field(form, "phone", 40) or None

    def act(session: Session) -> users.IssuedToken | None:
        if action == "ekle":
            if role is None:
                raise CampaignsError(_("Choose a role."))
            issued = users.add_user(
                session, actor, email=email, role=role, faculty=faculty, phone=phone
            )
            return users.IssuedToken(issued.user, issued.token)
        if action == "degistir":
            if role is None:
                raise CampaignsError(_("Choose a role."))
            users.change_user(session, actor, email, role=role, faculty=faculty)
        elif action == "iptal":
            users.revoke(session, actor, email)
        elif action == "anahtar":
            return users.reissue_token(session, actor, email)
        return None

    try:
        issued = await services_of(request).transaction(act)
    except (NotAllowedError, NotFoundError):
        return not_found(request)
    except CampaignsError as exc:
        return _refused(request, str(exc))
    if issued is not None:
        return await users_page(request, issued=issued)
    return RedirectResponse("/yonetim/kullanicilar", status_code=303)


# --- audit log -------------------------------------------------------------------------------

AUDIT_FILTERS: Final = {"kim": "actor", "islem": "action", "hedef": "target"}


async def audit_page(request: Request) -> Response:
    visitor = await sessions.administrator(request)
    if isinstance(visitor, Response):
        return visitor
    chosen = {
        key: request.query_params[key].strip()[:320]
        for key in AUDIT_FILTERS
        if request.query_params.get(key, "").strip()
    }
    number = _page_number(request)

    def look(session: Session) -> tuple[list[Any], list[str]]:
        found = audit.entries(
            session,
            limit=PAGE_SIZE + 1,
            offset=(number - 1) * PAGE_SIZE,
            **{AUDIT_FILTERS[key]: value for key, value in chosen.items()},
        )
        return list(found), audit.actions(session)

    entries, actions = await services_of(request).transaction(look)
    more = len(entries) > PAGE_SIZE
    return render(
        request,
        "admin_audit.html",
        language=i18n.for_request(request),
        visitor=visitor,
        entries=entries[:PAGE_SIZE],
        actions=actions,
        chosen=chosen,
        page=number,
        previous=_link("/yonetim/denetim", chosen, number - 1) if number > 1 else None,
        next=_link("/yonetim/denetim", chosen, number + 1) if more else None,
    )


def _link(path: str, chosen: dict[str, str], page: int) -> str:
    return f"{path}?{urlencode({**chosen, 'sayfa': page})}"


# --- suppressions ----------------------------------------------------------------------------


def _channel(value: str) -> Channel | None:
    return Channel(value) if value in {channel.value for channel in Channel} else None


async def suppressions_page(request: Request) -> Response:
    visitor = await sessions.administrator(request)
    if isinstance(visitor, Response):
        return visitor
    channel = _channel(request.query_params.get("kanal", ""))
    number = _page_number(request)

    def look(session: Session) -> tuple[list[Any], int]:
        found = suppressions.listed(
            session,
            channel,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
            newest_first=True,
        )
        return list(found), suppressions.count(session, channel)

    listed, total = await services_of(request).transaction(look)
    chosen = {"kanal": channel.value} if channel else {}
    return render(
        request,
        "admin_suppressions.html",
        language=i18n.for_request(request),
        visitor=visitor,
        suppressions=listed,
        total=total,
        channel=channel.value if channel else "",
        page=number,
        previous=_link("/yonetim/engeller", chosen, number - 1) if number > 1 else None,
        next=_link("/yonetim/engeller", chosen, number + 1) if number * PAGE_SIZE < total else None,
        labels=labels,
    )


async def suppression_action(request: Request, action: str) -> Response:
    """Stop contacting an address (with a reason), or allow it again."""
    posted = await _admin_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    _ = i18n.gettext_for(request)
    channel = _channel(sessions.field(form, "channel", 20))
    address = sessions.field(form, "address", 320)
    reason = sessions.field(form, "reason", 40) or "manual"
    key = services_of(request).settings.secret_key_text

    def act(session: Session) -> None:
        if channel is None:
            raise CampaignsError(_("Choose a channel."))
        if action == "ekle":
            suppressions.add_by_hand(
                session, visitor.actor, channel, address, reason=reason, key=key
            )
        else:
            suppressions.remove_by_hand(session, visitor.actor, channel, address, key=key)

    return await _changed(request, act, "/yonetim/engeller")
