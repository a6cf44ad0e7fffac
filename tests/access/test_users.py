"""Users and their tokens: only administrators manage them, and every change is audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import CampaignsError, NotAllowedError
from campaigns.core.models import AuditEntry, Role, User

OPERATOR = Actor.operator()
EMAIL = "Ayse.Kaya@universite.example.edu.tr"


def audit(db: Database) -> list[tuple[str, str, str | None]]:
    with db.session() as session:
        return [(e.actor, e.action, e.target) for e in session.scalars(select(AuditEntry))]


def test_add_revoke_and_reissue_are_audited_and_tokens_follow(db: Database) -> None:
    with db.session() as session:
        issued = users.add_user(session, OPERATOR, email=EMAIL, role=Role.ADVISOR)
    with db.session() as session:
        assert users.authenticate(session, issued.token) is not None
        users.revoke(session, OPERATOR, EMAIL)
    with db.session() as session:
        assert users.authenticate(session, issued.token) is None
        again = users.reissue_token(session, OPERATOR, EMAIL)
    with db.session() as session:
        assert users.authenticate(session, issued.token) is None
        user = users.authenticate(session, again.token)
        assert user is not None
        assert user.email == EMAIL.lower()
    target = f"user:{EMAIL.lower()}"
    assert audit(db) == [
        (OPERATOR.name, "user.add", target),
        (OPERATOR.name, "user.revoke", target),
        (OPERATOR.name, "user.token", target),
    ]


@pytest.mark.parametrize("role", [Role.ADVISOR, Role.COORDINATOR])
def test_only_administrators_manage_users(db: Database, role: Role) -> None:
    with db.session() as session:
        users.add_user(session, OPERATOR, email=EMAIL, role=Role.ADVISOR)
    someone = Actor("biri@universite.example.edu.tr", role, faculty="Tıp Fakültesi")
    before = audit(db)
    with db.session() as session:
        with pytest.raises(NotAllowedError):
            users.add_user(session, someone, email="yeni@universite.example.edu.tr", role=role)
        with pytest.raises(NotAllowedError):
            users.revoke(session, someone, EMAIL)
        with pytest.raises(NotAllowedError):
            users.reissue_token(session, someone, EMAIL)
    with db.session() as session:
        assert [u.email for u in session.scalars(select(User))] == [EMAIL.lower()]
    assert audit(db) == before


def test_a_coordinator_needs_a_faculty_and_nothing_is_written_without_one(db: Database) -> None:
    with pytest.raises(CampaignsError, match="--faculty"), db.session() as session:
        users.add_user(session, OPERATOR, email=EMAIL, role=Role.COORDINATOR)
    assert audit(db) == []
