"""Signing in with a one-time link and the sessions it opens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from campaigns.access import sign_in, users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import AuditEntry, Role, SignInLink, WebSession, utcnow
from campaigns.core.settings import Settings

OPERATOR = Actor.operator()
EMAIL = "ayse.kaya@universite.example.edu.tr"
CLIENT = "192.0.2.10"


@pytest.fixture
def advisor(db: Database) -> str:
    with db.session() as session:
        users.add_user(session, OPERATOR, email=EMAIL, role=Role.ADVISOR)
    return EMAIL


def link_for(db: Database, settings: Settings, address: str = EMAIL, **kw: object) -> str:
    with db.session() as session:
        requested = sign_in.request_link(session, address, CLIENT, settings=settings, **kw)  # type: ignore[arg-type]
    assert requested.link is not None
    return requested.link.rpartition("/")[2]


def test_a_link_opens_one_session_once(db: Database, settings: Settings, advisor: str) -> None:
    with db.session() as session:
        requested = sign_in.request_link(
            session, " Ayse.Kaya@Universite.example.edu.tr ", CLIENT, settings=settings
        )
    assert requested.link is not None
    assert requested.link.startswith(f"{settings.public_url}/giris/mbg_")
    token = requested.link.rpartition("/")[2]

    with db.session() as session:
        opened = sign_in.redeem(session, token)
    with db.session() as session:
        active = sign_in.resume(session, opened.token, settings=settings)
        assert active is not None
        assert active.user.email == advisor
        assert sign_in.csrf_matches(active.csrf_token, opened.csrf_token)
        assert not sign_in.csrf_matches(active.csrf_token, None)
        assert not sign_in.csrf_matches(active.csrf_token, opened.csrf_token[:-1] + "x")
        assert not sign_in.csrf_matches(None, None)
        assert not sign_in.csrf_matches("", "")
    with db.session() as session, pytest.raises(sign_in.InvalidLinkError, match="kullanılmış"):
        sign_in.redeem(session, token)
    # Only digests are stored: neither token can be read back from the database.
    with db.session() as session:
        stored = set(session.scalars(select(SignInLink.token_hash))) | set(
            session.scalars(select(WebSession.token_hash))
        )
    assert token not in stored
    assert opened.token not in stored
    assert sign_in.digest(token) in stored


@pytest.mark.parametrize("token", ["", "mbg_unknown", "mbo_not-a-link", "mbg_" + "x" * 300])
def test_unknown_links_are_refused(db: Database, advisor: str, token: str) -> None:
    with db.session() as session, pytest.raises(sign_in.InvalidLinkError):
        sign_in.redeem(session, token)


def test_a_link_expires(db: Database, settings: Settings, advisor: str) -> None:
    now = utcnow()
    token = link_for(db, settings, now=now)
    later = now + timedelta(minutes=settings.sign_in_link_minutes, seconds=1)
    with db.session() as session, pytest.raises(sign_in.InvalidLinkError):
        sign_in.redeem(session, token, now=later)


def test_an_unknown_or_revoked_address_gets_no_link_and_learns_nothing(
    db: Database, settings: Settings, advisor: str
) -> None:
    with db.session() as session:
        unknown = sign_in.request_link(session, "nobody@example.edu.tr", CLIENT, settings=settings)
        users.revoke(session, OPERATOR, advisor)
    with db.session() as session:
        revoked = sign_in.request_link(session, advisor, CLIENT, settings=settings)
    assert unknown == revoked == sign_in.LinkRequest(None, None)
    with db.session() as session:
        entries = list(session.scalars(select(AuditEntry)))
    assert [e.action for e in entries if e.action.startswith("sign_in")] == [
        "sign_in.unknown_address",
        "sign_in.unknown_address",
    ]
    # The address asked for is kept only as a keyed digest.
    assert all("nobody" not in str(e.details) and "nobody" not in str(e.target) for e in entries)


def test_requests_are_limited_per_address_and_per_client(
    db: Database, settings: Settings, advisor: str
) -> None:
    settings = settings.model_copy(
        update={"sign_in_requests_per_address": 2, "sign_in_requests_per_client": 2}
    )
    now = utcnow()
    for _ in range(2):
        link_for(db, settings, now=now)
    with db.session() as session, pytest.raises(sign_in.TooManyRequestsError, match="15 dakika"):
        sign_in.request_link(session, advisor, "198.51.100.7", settings=settings, now=now)
    # Another address from the first client: that client has asked twice already.
    with db.session() as session, pytest.raises(sign_in.TooManyRequestsError):
        sign_in.request_link(session, "other@example.edu.tr", CLIENT, settings=settings, now=now)
    # Refused attempts are kept (and audited), so they count too; the window then passes.
    with db.session() as session:
        actions = list(session.scalars(select(AuditEntry.action)))
    assert actions.count("sign_in.limited") == 2
    link_for(db, settings, now=now + sign_in.ATTEMPT_WINDOW + timedelta(seconds=1))


def test_a_session_ends_after_inactivity_sign_out_or_revocation(
    db: Database, settings: Settings, advisor: str
) -> None:
    now = utcnow()
    idle = timedelta(minutes=settings.session_idle_minutes)
    links = [link_for(db, settings, now=now) for _ in range(3)]
    with db.session() as session:
        first, second, third = (sign_in.redeem(session, link, now=now) for link in links)

    # Activity keeps a session open; a pause longer than the idle time ends it.
    with db.session() as session:
        assert sign_in.resume(session, first.token, settings=settings, now=now + idle / 2)
        assert sign_in.resume(session, first.token, settings=settings, now=now + idle)
        assert sign_in.resume(session, second.token, settings=settings, now=now + idle * 2) is None
    with db.session() as session:
        assert sign_in.resume(session, second.token, settings=settings, now=now) is None
        sign_in.sign_out(session, first.token)
    with db.session() as session:
        assert sign_in.resume(session, first.token, settings=settings, now=now + idle) is None
        assert sign_in.resume(session, third.token, settings=settings, now=now) is not None
        users.revoke(session, OPERATOR, advisor)
        # Given a new token, the user is active again: the old sessions stay ended.
        users.reissue_token(session, OPERATOR, advisor)
    with db.session() as session:
        assert sign_in.resume(session, third.token, settings=settings, now=now) is None


@pytest.mark.parametrize("cookie", [None, "", "mbg_x", "mbo_unknown", "mbo_" + "x" * 300])
def test_a_cookie_that_names_no_session_is_no_session(
    db: Database, settings: Settings, cookie: str | None
) -> None:
    with db.session() as session:
        assert sign_in.resume(session, cookie, settings=settings) is None
