"""Signing in to the web app with a one-time link sent by email, and the sessions it opens.

A link is valid for ``sign_in_link_minutes`` and works once. A session is a random token in
an HttpOnly cookie; the database keeps only its digest, so ending a session here (signing
out, revoking the user, inactivity) ends it everywhere at once. Each session carries its own
CSRF token for the forms it is shown. Requests for links are limited per address and per
client, answered alike whether or not the address belongs to a user (nobody learns who has an
account), and audited.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from campaigns.core import audit
from campaigns.core.errors import CampaignsError
from campaigns.core.models import SignInAttempt, SignInLink, User, WebSession, utcnow
from campaigns.core.settings import Settings
from campaigns.students.contact_details import normalise_email

LINK_PREFIX: Final = "mbg_"
SESSION_PREFIX: Final = "mbo_"
ATTEMPT_WINDOW: Final = timedelta(minutes=15)
SEEN_EVERY: Final = timedelta(minutes=1)
"""A session's last activity is written at most this often (not on every page)."""
_MAX_TOKEN_LENGTH: Final = 200


class TooManyRequestsError(CampaignsError):
    """Too many sign-in links were asked for from this address or this client."""


class InvalidLinkError(CampaignsError):
    """A sign-in link that is unknown, used or expired."""


@dataclass(frozen=True, slots=True)
class LinkRequest:
    """What asking for a link produced: for an active user, the link to send them."""

    user: User | None
    link: str | None


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A session just opened: the cookie's token is known only now."""

    user: User
    token: str
    csrf_token: str


@dataclass(frozen=True, slots=True)
class ActiveSession:
    user: User
    csrf_token: str


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def _key(kind: str, value: str, settings: Settings) -> str:
    """A keyed digest standing for an address or a client in the attempts table."""
    key = (settings.secret_key_text or "campaigns-sign-in").encode()
    return hmac.new(key, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()


def request_link(
    session: Session,
    address: str,
    client: str,
    *,
    settings: Settings,
    now: datetime | None = None,
) -> LinkRequest:
    """A sign-in link for the user with ``address``, if there is an active one.

    Raises ``TooManyRequestsError`` when the address or the client asked too often within
    15 minutes; the attempt is counted either way.
    """
    now = now or utcnow()
    email = normalise_email(address).value or address.strip().lower()
    address_key, client_key = _key("address", email, settings), _key("client", client, settings)
    since = now - ATTEMPT_WINDOW
    by_address = session.scalar(
        select(func.count()).where(
            SignInAttempt.address_key == address_key, SignInAttempt.at > since
        )
    )
    by_client = session.scalar(
        select(func.count()).where(SignInAttempt.client_key == client_key, SignInAttempt.at > since)
    )
    session.add(SignInAttempt(at=now, address_key=address_key, client_key=client_key))
    if (by_address or 0) >= settings.sign_in_requests_per_address or (
        by_client or 0
    ) >= settings.sign_in_requests_per_client:
        audit.record(session, "web", "sign_in.limited", None, {"address": address_key})
        session.commit()
        raise TooManyRequestsError(
            "Çok fazla giriş bağlantısı istendi; 15 dakika sonra yeniden deneyin. / Too many "
            "sign-in links were requested; try again in 15 minutes."
        )
    # Stored addresses are lower case (``users.add_user``): the unique index answers.
    user = session.scalars(select(User).where(User.email == email.lower())).first()
    if user is None or user.revoked_at is not None:
        audit.record(session, "web", "sign_in.unknown_address", None, {"address": address_key})
        return LinkRequest(None, None)
    token = LINK_PREFIX + secrets.token_urlsafe(32)
    session.add(
        SignInLink(
            user_id=user.id,
            token_hash=digest(token),
            created_at=now,
            expires_at=now + timedelta(minutes=settings.sign_in_link_minutes),
        )
    )
    audit.record(session, user.email, "sign_in.link_sent", f"user:{user.email}")
    return LinkRequest(user, f"{settings.public_url}/giris/{token}")


def redeem(session: Session, token: str, *, now: datetime | None = None) -> SignedIn:
    """Open a session with a sign-in link; the link cannot be used again."""
    now = now or utcnow()
    refused = InvalidLinkError(
        "Bu giriş bağlantısı geçersiz, kullanılmış ya da süresi dolmuş; yeni bir bağlantı "
        "isteyin. / This sign-in link is not valid, was used or has expired; ask for a new one."
    )
    if not token.startswith(LINK_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
        raise refused
    # Marking the link used is the check: of two requests with one link, one wins.
    user_id = session.scalar(
        update(SignInLink)
        .where(
            SignInLink.token_hash == digest(token),
            SignInLink.used_at.is_(None),
            SignInLink.expires_at > now,
        )
        .values(used_at=now)
        .returning(SignInLink.user_id)
    )
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or user.revoked_at is not None:
        raise refused
    opened = SESSION_PREFIX + secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    session.add(
        WebSession(
            user_id=user.id,
            token_hash=digest(opened),
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    audit.record(session, user.email, "sign_in.completed", f"user:{user.email}")
    return SignedIn(user, opened, csrf)


def resume(
    session: Session, token: str | None, *, settings: Settings, now: datetime | None = None
) -> ActiveSession | None:
    """The session a cookie names, if it is still open (not ended, not idle for longer than
    ``session_idle_minutes``, its user not revoked); its activity is noted."""
    if not token or not token.startswith(SESSION_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
        return None
    now = now or utcnow()
    found = session.execute(
        select(WebSession, User)
        .join(User, User.id == WebSession.user_id)
        .where(WebSession.token_hash == digest(token), WebSession.ended_at.is_(None))
    ).first()
    if found is None:
        return None
    web_session, user = found
    idle = timedelta(minutes=settings.session_idle_minutes)
    if user.revoked_at is not None or now - web_session.last_seen_at > idle:
        web_session.ended_at = web_session.ended_at or now
        return None
    if now - web_session.last_seen_at >= SEEN_EVERY:
        web_session.last_seen_at = now
    return ActiveSession(user, web_session.csrf_token)


def sign_out(session: Session, token: str | None, *, now: datetime | None = None) -> None:
    """End the session a cookie names (nothing happens for an unknown one)."""
    if not token:
        return
    session.execute(
        update(WebSession)
        .where(WebSession.token_hash == digest(token), WebSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
    )


def end_sessions_of(session: Session, user: User, *, now: datetime | None = None) -> int:
    """End every open session of ``user`` (when the user is revoked); how many were open."""
    ended = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user.id, WebSession.ended_at.is_(None))
        .values(ended_at=now or utcnow())
        .returning(WebSession.id)
    )
    return len(ended.all())


def csrf_matches(expected: str | None, submitted: str | None) -> bool:
    """A form's CSRF token is the one expected (compared in constant time; none never
    matches)."""
    if not expected or not submitted:
        return False
    return hmac.compare_digest(expected.encode(), submitted.encode())
