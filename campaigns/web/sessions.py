"""The browser's side of signing in: the session cookie, the signed-in user of a request,
and CSRF checks (the session's own token on signed-in forms; a double-submit cookie on the
sign-in form, before there is a session)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.access.sign_in import csrf_matches, resume
from campaigns.core.actors import Actor
from campaigns.core.models import Role
from campaigns.http.deps import services_of
from campaigns.web.page_rendering import expired_form, not_found

SESSION_COOKIE: Final = "mbs_session"
FORM_COOKIE: Final = "mbs_form"
CSRF_FIELD: Final = "csrf_token"


@dataclass(frozen=True, slots=True)
class Visitor:
    """Who is signed in on this request, and the token their forms carry."""

    actor: Actor
    name: str
    csrf_token: str

    @property
    def desk(self) -> bool:
        """The Student Affairs desk, whose only page is the desk's."""
        return self.actor.role is Role.DESK

    def sent(self, submitted: str | None) -> bool:
        """A form came with this session's CSRF token."""
        return csrf_matches(self.csrf_token, submitted)


async def visitor(request: Request) -> Visitor | None:
    """The signed-in user the request's session cookie names, or None."""
    services = services_of(request)
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None

    def look_up(session: Session) -> Visitor | None:
        active = resume(session, token, settings=services.settings)
        if active is None:
            return None
        return Visitor(Actor.of(active.user), active.user.email, active.csrf_token)

    return await services.transaction(look_up)


async def posted_form(request: Request) -> tuple[Visitor, FormData] | Response:
    """The signed-in visitor and the form they posted with their session's CSRF token; or
    the response to give instead (sign in first; the form has expired)."""
    found = await visitor(request)
    if found is None:
        return to_sign_in()
    form = await request.form()
    submitted = form.get(CSRF_FIELD)
    if not found.sent(submitted if isinstance(submitted, str) else None):
        return expired_form(request)
    return found, form


async def administrator(request: Request) -> Visitor | Response:
    """The signed-in administrator; or the response for anyone else (sign in first; a
    page that is not there for them)."""
    found = await visitor(request)
    if found is None:
        return to_sign_in()
    return found if found.actor.is_admin else not_found(request)


def field(form: FormData, name: str, limit: int = 200) -> str:
    """A text field of a posted form, trimmed and cut to ``limit`` ("" when absent)."""
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


def to_sign_in() -> RedirectResponse:
    """Where a page sends a reader who is not signed in."""
    return RedirectResponse("/giris", status_code=303)


def secure(request: Request) -> bool:
    """Cookies are ``Secure`` when the service is reached over https."""
    return services_of(request).settings.public_url.startswith("https://")


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE, token, httponly=True, samesite="lax", secure=secure(request), path="/"
    )


def form_token(request: Request) -> str:
    """The sign-in form's CSRF token: the one its cookie holds, or a new one."""
    return request.cookies.get(FORM_COOKIE) or secrets.token_urlsafe(32)


def remember_form_token(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        FORM_COOKIE, token, httponly=True, samesite="strict", secure=secure(request), path="/"
    )


def form_token_matches(request: Request, submitted: str | None) -> bool:
    """The sign-in form came back with the token of its own cookie."""
    return csrf_matches(request.cookies.get(FORM_COOKIE), submitted)
