"""Suppressions: stored once per address and channel; those a person adds or lifts are checked
and audited without the address."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import CampaignsError
from campaigns.core.models import AuditEntry, Suppression
from campaigns.tracking.suppressions import add_by_hand, lift, listed, remove_by_hand, suppress
from channels.base import Channel

OPERATOR = Actor.operator()
KEY = "denetim-anahtari-uzun-ve-rastgele"


def entries(db: Database) -> list[tuple[str, str | None, dict[str, str]]]:
    with db.session() as session:
        return [(e.action, e.target, e.details) for e in session.scalars(select(AuditEntry))]


def test_a_number_typed_at_the_desk_is_stored_as_e164_and_audited_without_it(
    db: Database,
) -> None:
    with db.session() as session:
        stored = add_by_hand(
            session, OPERATOR, Channel.SMS, "0535 927 71 27", reason="telefon", key=KEY
        )
    assert stored == "+905359277127"
    with db.session() as session:
        (row,) = listed(session, Channel.SMS)
        assert (row.address, row.reason, row.source) == (stored, "telefon", "manual")
        assert listed(session, Channel.EMAIL) == []
    ((action, target, details),) = entries(db)
    assert (action, target, details["reason"]) == ("suppression.add", "suppression:sms", "telefon")
    assert stored not in str(details)
    assert "5359277127" not in str(details)
    assert len(details["address"]) == 64  # a keyed HMAC, not the number


def test_removing_an_address_that_is_not_suppressed_says_so_and_writes_nothing(
    db: Database,
) -> None:
    with pytest.raises(CampaignsError, match="not suppressed"), db.session() as session:
        remove_by_hand(session, OPERATOR, Channel.EMAIL, "ayse@example.com", key=KEY)
    with pytest.raises(CampaignsError, match="invalid phone"), db.session() as session:
        add_by_hand(session, OPERATOR, Channel.SMS, "12", reason="manual", key=KEY)
    assert entries(db) == []


def test_lifting_by_reason_keeps_what_someone_else_added(db: Database) -> None:
    with db.session() as session:
        suppress(session, Channel.EMAIL, "Ayse@Example.com", reason="unsubscribe", source="link")
        suppress(session, Channel.EMAIL, "ayse@example.com", reason="bounce")  # stored once
        suppress(session, Channel.EMAIL, "x" * 400, reason="bounce")  # no address: ignored
    with db.session() as session:
        assert [(s.address, s.reason) for s in listed(session)] == [
            ("ayse@example.com", "unsubscribe")
        ]
        assert lift(session, Channel.EMAIL, "ayse@example.com", reasons={"bounce"}) == 0
        assert lift(session, Channel.EMAIL, "AYSE@example.com") == 1
        assert session.scalars(select(Suppression)).all() == []
    with db.session() as session:
        remove = add_by_hand(
            session, OPERATOR, Channel.EMAIL, "Ayse@Example.com", reason="manual", key=None
        )
        remove_by_hand(session, OPERATOR, Channel.EMAIL, remove, key=None)
    assert [(a, d) for a, _, d in entries(db)] == [
        ("suppression.add", {"reason": "manual"}),
        ("suppression.remove", {}),
    ]
