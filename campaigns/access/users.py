"""API users and their bearer tokens.

A token is ``mbs_`` followed by 32 random bytes (URL-safe base64). It is shown once, when it
is issued; only its SHA-256 digest is stored, so a copy of the database gives no one access.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.access.sign_in import end_sessions_of
from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError, NotFoundError
from campaigns.core.models import Role, User, utcnow
from campaigns.core.turkish_text import clean
from campaigns.students.contact_details import normalise_email, normalise_phone

TOKEN_PREFIX: Final = "mbs_"  # noqa: S105 - a public marker, not a secret
_MAX_TOKEN_LENGTH: Final = 200


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A user and the token just issued to them: the only time the token is known."""

    user: User
    token: str


def new_token() -> str:
    """A fresh random token with a recognisable prefix."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """What is stored for a token: its SHA-256 digest in hexadecimal."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def authenticate(session: Session, token: str | None) -> User | None:
    """The active user a token belongs to, or None (unknown, malformed or revoked)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > _MAX_TOKEN_LENGTH:
        return None
    digest = token_digest(token)
    user = session.scalars(select(User).where(User.token_hash == digest)).first()
    # The lookup is by digest, so timing reveals nothing of the token; the comparison is
    # repeated in constant time all the same.
    if user is None or not hmac.compare_digest(user.token_hash, digest):
        return None
    if user.revoked_at is not None:
        return None
    return user


def add_user(
    session: Session,
    actor: Actor,
    *,
    email: str,
    role: Role,
    faculty: str | None = None,
    phone: str | None = None,
) -> IssuedToken:
    """Create a user with a new token. Coordinators need a faculty; an advisor may have one
    (their scope is then their students in that faculty, and that faculty's coordinator
    sees their campaigns); administrators see every faculty. Only an administrator may."""
    _require_admin(actor)
    address = _email(email)
    faculty = _faculty_for(role, faculty)
    if session.scalars(select(User.id).where(User.email == address)).first() is not None:
        raise CampaignsError(f"bu kullanıcı zaten var / user already exists: {address}")
    token = new_token()
    user = User(
        email=address,
        role=role,
        faculty=faculty,
        phone=_phone(phone),
        token_hash=token_digest(token),
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    audit.record(
        session,
        actor.name,
        audit.USER_ADD,
        f"user:{user.email}",
        {"role": role.value, "faculty": user.faculty},
    )
    return IssuedToken(user, token)


def change_user(
    session: Session, actor: Actor, email: str, *, role: Role, faculty: str | None
) -> User:
    """Give a user another role or faculty (the same rules as adding one); it holds from
    their next request, in the API and the web app alike."""
    _require_admin(actor)
    user = get_user(session, email)
    before = {"role": user.role.value, "faculty": user.faculty}
    user.role, user.faculty = role, _faculty_for(role, faculty)
    session.flush()
    audit.record(
        session,
        actor.name,
        audit.USER_CHANGE,
        f"user:{user.email}",
        {"before": before, "role": role.value, "faculty": user.faculty},
    )
    return user


def _faculty_for(role: Role, faculty: str | None) -> str | None:
    """A coordinator needs a faculty, an administrator has none."""
    faculty = clean(faculty) or None
    if role is Role.COORDINATOR and faculty is None:
        raise CampaignsError("koordinatör için --faculty gerekli / a coordinator needs --faculty")
    if role is Role.ADMIN and faculty is not None:
        raise CampaignsError(
            "yöneticiler her fakülteyi görür, --faculty verilmez / administrators see every "
            "faculty: --faculty is not for them"
        )
    return faculty


def list_users(session: Session) -> Sequence[User]:
    """Every user, revoked ones included, by email."""
    return session.scalars(select(User).order_by(User.email)).all()


def get_user(session: Session, email: str) -> User:
    """The user with this email (case-insensitive), or ``NotFoundError``."""
    address = clean(email).lower()
    user = session.scalars(select(User).where(User.email == address)).first()
    if user is None:
        raise NotFoundError(f"kullanıcı bulunamadı / user not found: {address}")
    return user


def revoke(session: Session, actor: Actor, email: str) -> User:
    """Refuse the user's token from now on and end their web sessions everywhere (the
    account stays, for the audit log)."""
    _require_admin(actor)
    user = get_user(session, email)
    if user.revoked_at is None:
        user.revoked_at = utcnow()
        session.flush()
    end_sessions_of(session, user, now=user.revoked_at)
    audit.record(session, actor.name, audit.USER_REVOKE, f"user:{user.email}")
    return user


def reissue_token(session: Session, actor: Actor, email: str) -> IssuedToken:
    """A new token for the user; the old one stops working, and a revoked user is active
    again."""
    _require_admin(actor)
    user = get_user(session, email)
    token = new_token()
    user.token_hash = token_digest(token)
    user.revoked_at = None
    session.flush()
    audit.record(session, actor.name, audit.USER_REISSUE, f"user:{user.email}")
    return IssuedToken(user, token)


def _require_admin(actor: Actor) -> None:
    actor.must_be_admin(
        "kullanıcıları yalnızca yöneticiler yönetir / only administrators manage users"
    )


def _email(raw: str) -> str:
    checked = normalise_email(raw)
    if checked.value is None:
        raise CampaignsError(f"geçersiz e-posta / invalid email address: {clean(raw)!r}")
    # Stored lower-case: one account per address however it is typed.
    return checked.value.lower()


def _phone(raw: str | None) -> str | None:
    if raw is None or not clean(raw):
        return None
    phone = normalise_phone(raw)
    if phone.number is None or not phone.is_mobile:
        raise CampaignsError(
            "geçersiz cep telefonu (deneme SMS/WhatsApp için) / "
            "not a valid mobile number (used for test SMS and WhatsApp)"
        )
    return phone.number
