"""Planning writes one outcome per audience student, in one statement, exactly once."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from campaigns.core.db import Database
from campaigns.core.models import (
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    SkipReason,
    Suppression,
    Wave,
    WaveStatus,
    utcnow,
)
from campaigns.planning.plan_wave import plan_wave
from tests.support import factories


def outcomes(db: Database, wave_id: int) -> dict[str, tuple[str, str | None, str | None]]:
    """student_no → (status, channel or skip reason, address)."""
    from campaigns.core.models import Student

    with db.session() as session:
        rows = session.execute(
            select(
                Student.student_no,
                Message.status,
                Message.channel,
                Message.skip_reason,
                Message.address,
            )
            .join(Student, Student.id == Message.student_id)
            .where(Message.wave_id == wave_id)
        ).all()
    return {
        no: (status.value, (channel or reason).value if (channel or reason) else None, address)
        for no, status, channel, reason, address in rows
    }


def test_each_student_gets_one_outcome_with_reason(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        session.add_all(
            [
                factories.student(student_no="1001"),
                factories.student(student_no="1002", personal_email=None),
                factories.student(student_no="1003", contact_consent=False),
                factories.student(student_no="1004", personal_email=None, email=None, phone=None),
                factories.student(
                    student_no="1005", personal_email=None, email=None, phone_is_mobile=False
                ),
                factories.student(student_no="1006", faculty="Tıp Fakültesi"),
                factories.student(student_no="1007", graduation_term="2020-2021 Güz"),
                factories.student(student_no="1008", personal_email="Kayit.Iptal@Example.com"),
            ]
        )
        session.add(
            Suppression(
                channel="email", address="kayit.iptal@example.com", reason="bounce", source="test"
            )
        )
        campaign = factories.campaign(
            session,
            [{"channels": ["email", "sms"]}],
            audience={
                "graduation_terms": ["2019-2020 Bahar"],
                "faculties": ["Mühendislik Fakültesi"],
            },
            now=now,
        )
        wave_id = campaign.waves[0].id

    with db.session() as session:
        result = plan_wave(session, wave_id, now=now)

    assert result.planned
    assert result.pending == 3
    assert dict(result.skipped) == {"no_consent": 1, "unreachable": 2}
    got = outcomes(db, wave_id)
    assert set(got) == {"1001", "1002", "1003", "1004", "1005", "1008"}
    assert got["1001"] == ("pending", "email", "ogrenci1001@example.com")
    assert got["1002"] == ("pending", "email", "1002@stu.universite.example.edu.tr")
    assert got["1003"] == ("skipped", "no_consent", None)
    assert got["1004"] == ("skipped", "unreachable", None)
    # A landline cannot take SMS; with no email either, the student is unreachable.
    assert got["1005"] == ("skipped", "unreachable", None)
    # The suppressed personal address is passed over for the institutional one.
    assert got["1008"] == ("pending", "email", "1008@stu.universite.example.edu.tr")


def test_fallback_channels_follow_the_waves_order(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        session.add_all(
            [
                factories.student(student_no="2001"),
                factories.student(student_no="2002", whatsapp_opt_in=False),
                factories.student(student_no="2003", phone_is_mobile=False),
                factories.student(student_no="2004", phone=None, personal_email=None, email=None),
            ]
        )
        campaign = factories.campaign(
            session, [{"channels": ["whatsapp", "sms", "email"]}], now=now
        )
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=now)

    got = outcomes(db, wave_id)
    assert got["2001"][:2] == ("pending", "whatsapp")
    assert got["2002"][:2] == ("pending", "sms")
    assert got["2003"] == ("pending", "email", "ogrenci2003@example.com")
    assert got["2004"] == ("skipped", "unreachable", None)


def test_all_addresses_suppressed_is_counted_as_suppressed(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        s = factories.student(student_no="3001")
        session.add(s)
        session.add_all(
            [
                Suppression(channel="sms", address=s.phone, reason="21610", source="test"),
                Suppression(
                    channel="email", address=s.personal_email, reason="bounce", source="test"
                ),
                Suppression(channel="email", address=s.email, reason="bounce", source="test"),
            ]
        )
        campaign = factories.campaign(session, [{"channels": ["sms", "email"]}], now=now)
        wave_id = campaign.waves[0].id
    with db.session() as session:
        result = plan_wave(session, wave_id, now=now)
    assert dict(result.skipped) == {SkipReason.SUPPRESSED.value: 1}
    assert outcomes(db, wave_id)["3001"] == ("skipped", "suppressed", None)


def test_only_unconverted_skips_registered_students(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        registered = factories.student(student_no="4001")
        session.add_all([registered, factories.student(student_no="4002")])
        session.flush()
        session.add(
            Conversion(
                student_no="4001",
                student_id=registered.id,
                stage=ConversionStage.REGISTERED,
                occurred_at=now,
                source="test",
            )
        )
        campaign = factories.campaign(
            session,
            [{"only_unconverted": False}, {"only_unconverted": True}],
            now=now,
        )
        first, second = (w.id for w in campaign.waves)
    with db.session() as session:
        plan_wave(session, first, now=now)
        plan_wave(session, second, now=now)
    assert outcomes(db, first)["4001"][0] == "pending"
    assert outcomes(db, second)["4001"] == ("skipped", "converted", None)
    assert outcomes(db, second)["4002"][0] == "pending"


def test_replanning_is_a_no_op(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        session.add_all([factories.student() for _ in range(5)])
        campaign = factories.campaign(session, [{}], now=now)
        wave_id = campaign.waves[0].id
    with db.session() as session:
        assert plan_wave(session, wave_id, now=now).pending == 5
    with db.session() as session:
        assert not plan_wave(session, wave_id, now=now).planned
    # Even if the wave were reset by hand, the unique (wave, student) rows stay as they are.
    with db.session() as session:
        before = session.execute(select(Message.id, Message.secret)).all()
        session.get(Wave, wave_id).status = WaveStatus.WAITING  # type: ignore[union-attr]
    with db.session() as session:
        assert plan_wave(session, wave_id, now=now).pending == 5
        after = session.execute(select(Message.id, Message.secret)).all()
    assert sorted(before) == sorted(after)


def test_secrets_are_random_and_only_on_messages_to_send(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        session.add_all([factories.student() for _ in range(50)])
        session.add(factories.student(contact_consent=False))
        campaign = factories.campaign(session, [{}], now=now)
        wave_id = campaign.waves[0].id
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
        rows = session.execute(select(Message.status, Message.secret)).all()
    secrets = [t for s, t in rows if s is MessageStatus.PENDING]
    assert len(secrets) == 50
    assert len(set(secrets)) == 50
    assert all(
        t and len(t) == 16 and t.replace("-", "").replace("_", "").isalnum() for t in secrets
    )
    assert [t for s, t in rows if s is MessageStatus.SKIPPED] == [None]


def test_a_wave_is_not_planned_before_it_is_due(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        session.add(factories.student())
        campaign = factories.campaign(session, [{"start_at": now + timedelta(hours=1)}], now=now)
        wave_id = campaign.waves[0].id
    with db.session() as session:
        assert not plan_wave(session, wave_id, now=now).planned
        assert session.scalar(select(Message.id)) is None


def test_a_form_reminder_goes_to_registered_students_without_the_form(db: Database) -> None:
    now = utcnow()
    with db.session() as session:
        registered, done, newcomer = (
            factories.student(student_no=n) for n in ("5001", "5002", "5003")
        )
        session.add_all([registered, done, newcomer])
        session.flush()
        for student, stage in (
            (registered, ConversionStage.REGISTERED),
            (done, ConversionStage.REGISTERED),
            (done, ConversionStage.FORM_SUBMITTED),
        ):
            session.add(
                Conversion(
                    student_no=student.student_no,
                    student_id=student.id,
                    stage=stage,
                    occurred_at=now,
                    source="test",
                )
            )
        campaign = factories.campaign(
            session,
            [{"only_unconverted": True,
              "options": {"goal_stage": "form_submitted", "requires_stage": "registered"}}],
            now=now,
        )  # fmt: skip
        wave_id = campaign.waves[0].id
    with db.session() as session:
        result = plan_wave(session, wave_id, now=now)
    got = outcomes(db, wave_id)
    assert got["5001"][0] == "pending"  # registered, form not handed in: reminded
    assert got["5002"] == ("skipped", "converted", None)  # the form is in
    assert got["5003"] == ("skipped", "not_yet", None)  # not registered yet
    assert dict(result.skipped) == {"converted": 1, "not_yet": 1}
