"""Who acts, and which students that lets them reach."""

from __future__ import annotations

import getpass

from campaigns.core.actors import Actor, Scope
from campaigns.core.models import Role, User

ADVISOR = "Ayse.Kaya@universite.example.edu.tr"


def test_each_role_reaches_its_own_students() -> None:
    assert Actor("a", Role.ADMIN, faculty="Tıp Fakültesi").scope == Scope()
    assert Actor("c", Role.COORDINATOR, faculty="Tıp Fakültesi").scope == Scope("Tıp Fakültesi")
    advisor = Actor(ADVISOR, Role.ADVISOR, faculty="Tıp Fakültesi", email=ADVISOR)
    assert advisor.scope == Scope("Tıp Fakültesi", ADVISOR.lower())
    assert Actor(ADVISOR, Role.ADVISOR, email=ADVISOR).scope == Scope(None, ADVISOR.lower())


def test_who_has_no_scope_reaches_nobody_not_everybody() -> None:
    assert Actor("c", Role.COORDINATOR).scope is None
    assert Actor("x", Role.ADVISOR).scope is None  # an advisor without an address


def test_an_actor_is_a_detached_copy_of_the_user() -> None:
    user = User(email=ADVISOR.lower(), role=Role.ADVISOR, faculty=None, phone="+905321000001")
    actor = Actor.of(user)
    assert (actor.name, actor.email, actor.phone) == (user.email, user.email, user.phone)
    assert not actor.is_admin
    user.role = Role.ADMIN
    assert actor.role is Role.ADVISOR


def test_the_operator_is_named_after_the_system_user_and_may_do_everything() -> None:
    operator = Actor.operator()
    assert operator.name == f"cli:{getpass.getuser()}"
    assert operator.is_admin
    assert operator.scope == Scope()
