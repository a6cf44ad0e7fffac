"""A student's page data: masked addresses, conversions, suppressions, and only what the
reader may see."""

from __future__ import annotations

import pytest

from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.errors import NotFoundError
from campaigns.core.models import Conversion, ConversionStage, Role, Suppression, utcnow
from campaigns.reports.student_profile import (
    mask_email,
    mask_phone,
    student_profile,
)
from channels.base import Channel
from tests.support import factories

ADVISOR = Actor("kemal", Role.ADVISOR, None, "kemal.isik@universite.example.edu.tr")


def test_masks_keep_enough_to_tell_addresses_apart() -> None:
    assert mask_email("ayse.kaya@example.com") == "a…@example.com"
    assert mask_phone("+905321234567") == "+90 … 67"
    assert mask_email("broken") == "…"
    assert mask_phone("123") == "…"


def test_a_profile_shows_reach_conversions_and_suppressions_masked(db: Database) -> None:
    with db.session() as session:
        student = factories.student(student_no="4242", email="Ayse.Kaya@ogr.example.edu.tr")
        session.add(student)
        session.add(
            Conversion(
                student_no="4242",
                stage=ConversionStage.REGISTERED,
                occurred_at=utcnow(),
                source="webhook",
            )
        )
        session.add(
            Suppression(channel=Channel.SMS, address=student.phone, reason="stop", source="sms")
        )
        session.add(
            Suppression(
                channel=Channel.EMAIL,
                address="ayse.kaya@ogr.example.edu.tr",
                reason="unsubscribe",
                source="link",
            )
        )
    with db.session() as session:
        profile = student_profile(session, ADVISOR, "4242")

    assert [(r.channel, r.address) for r in profile.reach] == [
        (Channel.EMAIL, "A…@ogr.example.edu.tr"),
        (Channel.EMAIL, "o…@example.com"),
        (Channel.SMS, "+90 … " + (student.phone or "")[-2:]),
        (Channel.WHATSAPP, "+90 … " + (student.phone or "")[-2:]),
    ]
    assert [(c.stage, c.source) for c in profile.conversions] == [
        (ConversionStage.REGISTERED, "webhook")
    ]
    assert sorted((s.channel, s.reason) for s in profile.suppressions) == [
        (Channel.EMAIL, "unsubscribe"),
        (Channel.SMS, "stop"),
    ]
    assert all("kaya" not in s.address.lower() for s in profile.suppressions)
    assert profile.messages == []


def test_another_advisors_student_is_as_if_it_did_not_exist(db: Database) -> None:
    with db.session() as session:
        session.add(factories.student(student_no="5151", advisor_email="baska@example.edu.tr"))
    with db.session() as session:
        for number in ("5151", "0000"):
            with pytest.raises(NotFoundError, match="öğrenci bulunamadı"):
                student_profile(session, ADVISOR, number)
