"""Sending: claim, re-check, render, call the adapter, record every result."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from campaigns.core.db import Database
from campaigns.core.models import (
    CampaignStatus,
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    Student,
    Suppression,
    Wave,
    utcnow,
)
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.recovery import recover_stale, requeue_unknown
from campaigns.delivery.sending import WaveSender
from campaigns.planning.plan_wave import plan_wave
from campaigns.tracking.links import message_token
from campaigns.tracking.suppressions import suppress
from channels.base import (
    Channel,
    ConfigurationError,
    InFlight,
    OutboundMessage,
    OutcomeUnknownError,
    PermanentError,
    RateLimitedError,
    SendResult,
    TransientError,
)
from channels.outbox import OutboxAdapter
from tests.support import factories
from tests.support.adapters import RecordingAdapter
from tests.support.waves import planned_wave


def sender_with(
    db: Database, settings: Settings, adapter: RecordingAdapter | OutboxAdapter, **changes: object
) -> WaveSender:
    settings = settings.model_copy(update=changes)
    pool = AdapterPool(settings, dict.fromkeys(Channel, adapter))
    return WaveSender(db, settings, pool)


def statuses(db: Database) -> list[tuple[str, str | None]]:
    with db.session() as session:
        rows = session.execute(
            select(Message.status, Message.error_code).order_by(Message.id)
        ).all()
    return [(s.value, code) for s, code in rows]


def test_a_batch_is_sent_and_recorded(db: Database, settings: Settings) -> None:
    wave_id = planned_wave(db, students=3, channels=["sms"])
    adapter = RecordingAdapter()
    outcome = sender_with(db, settings, adapter).send_batch(wave_id)

    assert (outcome.claimed, outcome.sent, outcome.more) == (3, 3, False)
    assert statuses(db) == [("sent", None)] * 3
    with db.session() as session:
        rows = session.execute(select(Message.provider, Message.provider_message_id)).all()
    assert sorted(pid for _, pid in rows) == ["rec-1", "rec-2", "rec-3"]
    assert {p for p, _ in rows} == {"recording"}
    # Rendered from the Turkish template with the student's name, addressed to the mobile.
    assert all(m.text and "Ayşe" in m.text for m in adapter.sent)
    assert all(m.to.startswith("+90532") for m in adapter.sent)
    # Nothing left: a second call claims nothing.
    assert sender_with(db, settings, adapter).send_batch(wave_id).claimed == 0
    assert len(adapter.sent) == 3


def test_batches_are_sized_by_settings_and_adapter(db: Database, settings: Settings) -> None:
    wave_id = planned_wave(db, students=7)
    adapter = RecordingAdapter(max_batch=2)
    sender = sender_with(db, settings, adapter, batch_size=5)
    first = sender.send_batch(wave_id)
    second = sender.send_batch(wave_id)
    assert (first.claimed, first.more, second.claimed, second.more) == (5, True, 2, False)
    assert adapter.calls == [2, 2, 1, 2]


def test_a_chain_goes_on_from_its_cursor_and_starts_over_once_at_the_end(
    db: Database, settings: Settings
) -> None:
    wave_id = planned_wave(db, students=7, channels=["sms"])
    handed: list[int] = []

    def first_fails_once(message: OutboundMessage) -> Exception | None:
        handed.append(message.id)
        return TransientError("HTTP 502") if len(handed) == 1 else None

    adapter = RecordingAdapter(first_fails_once)
    sender = sender_with(db, settings, adapter, batch_size=3, retry_base_seconds=60)
    now = utcnow()
    later = now + timedelta(seconds=61)

    first = sender.send_batch(wave_id, now=now)
    # The first message's retry falls due below the cursor: the chain does not see it...
    second = sender.send_batch(wave_id, now=later, after=first.after)
    third = sender.send_batch(wave_id, now=later, after=second.after)
    # ...until its cursor reaches the end and it starts once more from the first row.
    fourth = sender.send_batch(wave_id, now=later, after=third.after)

    with db.session() as session:
        ids = session.scalars(select(Message.id).order_by(Message.id)).all()
    assert [ids.index(i) for i in handed] == [0, 1, 2, 3, 4, 5, 6, 0]
    assert [(o.claimed, o.more, o.after) for o in (first, second, third, fourth)] == [
        (3, True, ids[2]),
        (3, True, ids[5]),
        (1, True, None),
        (1, False, None),
    ]
    assert statuses(db) == [("sent", None)] * 7


def answer_by_index(errors: dict[int, Exception]) -> Callable[[object], Exception | None]:
    seen: list[object] = []

    def answer(message: object) -> Exception | None:
        seen.append(message)
        return errors.get(len(seen) - 1)

    return answer


def test_errors_are_classified(db: Database, settings: Settings) -> None:
    wave_id = planned_wave(db, students=4, channels=["sms"])
    adapter = RecordingAdapter(
        answer_by_index(
            {
                0: PermanentError("recipient opted out", code="21610", suppress=True),
                1: PermanentError("invalid number", code="21211"),
                2: TransientError("HTTP 503", status=503),
                3: RateLimitedError("too many requests", code="20429", retry_after=120),
            }
        )
    )
    now = utcnow()
    outcome = sender_with(db, settings, adapter).send_batch(wave_id, now=now)

    assert (outcome.failed, outcome.retried, outcome.sent) == (2, 2, 0)
    assert statuses(db) == [
        ("failed", "21610"),
        ("failed", "21211"),
        ("pending", None),
        ("pending", "20429"),
    ]
    with db.session() as session:
        first_address = session.scalars(select(Message.address).order_by(Message.id)).first()
        suppressed = session.execute(select(Suppression.channel, Suppression.address)).all()
        retry_at = session.scalars(
            select(Message.next_attempt_at).order_by(Message.id).offset(2)
        ).all()
    assert [(c.value, a) for c, a in suppressed] == [("sms", first_address)]
    assert retry_at[0] is not None
    assert retry_at[0] > now
    # The rate-limited message waits for the provider's hint (plus under a second of jitter).
    assert timedelta(seconds=120) <= retry_at[1] - now < timedelta(seconds=121)


def test_transient_errors_fail_after_the_last_attempt(db: Database, settings: Settings) -> None:
    wave_id = planned_wave(db, students=1)
    adapter = RecordingAdapter(lambda _m: TransientError("timeout"))
    sender = sender_with(db, settings, adapter, max_attempts=3)
    now = utcnow()
    for attempt in range(3):
        outcome = sender.send_batch(wave_id, now=now + timedelta(days=attempt))
        assert outcome.claimed == 1
    assert statuses(db) == [("failed", "transient")]
    assert sender.send_batch(wave_id, now=now + timedelta(days=9)).claimed == 0


def test_retry_waits_for_its_time(db: Database, settings: Settings) -> None:
    wave_id = planned_wave(db, students=1)
    calls: list[int] = []

    def flaky(_m: object) -> Exception | None:
        calls.append(1)
        return TransientError("HTTP 502") if len(calls) == 1 else None

    sender = sender_with(db, settings, RecordingAdapter(flaky), retry_base_seconds=60)
    now = utcnow()
    assert sender.send_batch(wave_id, now=now).retried == 1
    assert sender.send_batch(wave_id, now=now + timedelta(seconds=29)).claimed == 0
    assert sender.send_batch(wave_id, now=now + timedelta(seconds=61)).sent == 1


def test_send_time_rechecks_consent_suppression_and_conversion(
    db: Database, settings: Settings
) -> None:
    wave_id = planned_wave(db, students=4, channels=["email"], only_unconverted=True)
    with db.session() as session:
        students = session.scalars(select(Student).order_by(Student.id)).all()
        students[0].contact_consent = False
        suppress(
            session, Channel.EMAIL, str(students[1].personal_email).upper(), reason="unsubscribe"
        )
        session.add(
            Conversion(
                student_no=students[2].student_no,
                student_id=students[2].id,
                stage=ConversionStage.REGISTERED,
                occurred_at=utcnow(),
                source="test",
            )
        )
    adapter = RecordingAdapter()
    outcome = sender_with(db, settings, adapter).send_batch(wave_id)
    assert (outcome.skipped, outcome.sent) == (3, 1)
    with db.session() as session:
        reasons = session.scalars(select(Message.skip_reason).order_by(Message.id)).all()
    assert [r.value if r else None for r in reasons] == [
        "no_consent",
        "suppressed",
        "converted",
        None,
    ]


def test_a_template_error_fails_only_that_message(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    templates = tmp_path / "templates" / "broken"
    templates.mkdir(parents=True)
    (templates / "sms.tr.j2").write_text("Merhaba {{ first_name }} {{ missing_variable }}")
    (templates / "sms.en.j2").write_text("Hello {{ first_name }}")
    wave_id = planned_wave(db, students=2, channels=["sms"], template="broken")
    with db.session() as session:
        session.execute(update(Student).where(Student.id == 2).values(language="en"))
    adapter = RecordingAdapter()
    outcome = sender_with(db, settings, adapter, templates_dir=tmp_path / "templates").send_batch(
        wave_id
    )
    assert (outcome.failed, outcome.sent) == (1, 1)
    assert statuses(db) == [("failed", "template"), ("sent", None)]
    assert adapter.sent[0].text == "Hello Ayşe"


def test_an_unexpected_adapter_failure_is_reconciled_then_left_to_a_person(
    db: Database, settings: Settings
) -> None:
    wave_id = planned_wave(db, students=2)
    adapter = RecordingAdapter(lambda _m: RuntimeError("socket closed mid-response"))
    now = utcnow()
    outcome = sender_with(db, settings, adapter).send_batch(wave_id, now=now)
    assert outcome.unknown == 2
    # Nobody claims them again: they wait, in "sending", to be checked with the provider.
    assert statuses(db) == [("sending", None)] * 2
    assert sender_with(db, settings, adapter).send_batch(wave_id, now=now).claimed == 0
    pool = AdapterPool(settings, dict.fromkeys(Channel, adapter))
    with db.session() as session:
        early = recover_stale(session, pool, lease_seconds=600, now=now)
    assert (early.sent, early.requeued, early.unknown) == (0, 0, 0)
    later = now + timedelta(seconds=settings.reconcile_after_seconds)
    with db.session() as session:
        report = recover_stale(session, pool, lease_seconds=600, now=later)
    # This adapter cannot tell: a person decides.
    assert report.unknown == 2
    assert statuses(db) == [("unknown", None)] * 2
    with db.session() as session:
        campaign_id = session.scalar(select(Message.wave_id))
        assert requeue_unknown(session, campaign_id or 0).requeued == 2
    assert statuses(db) == [("pending", None)] * 2


class ReconcilingAdapter(RecordingAdapter):
    """Times out on every message, and knows afterwards which ones it has."""

    def __init__(self, has: dict[int, str | None]) -> None:
        super().__init__(lambda _m: OutcomeUnknownError("no answer in time", code="timeout"))
        self.has = has
        self.asked: list[InFlight] = []

    def reconcile(self, messages: Sequence[InFlight]) -> dict[int, str | None]:
        self.asked += messages
        return {m.message_id: self.has[m.message_id] for m in messages if m.message_id in self.has}


def test_a_timed_out_message_is_reconciled_before_anything_else(
    db: Database, settings: Settings
) -> None:
    wave_id = planned_wave(db, students=3, channels=["sms"])
    with db.session() as session:
        first, second, third = session.scalars(select(Message.id).order_by(Message.id))
    adapter = ReconcilingAdapter({first: "SMfound", second: None})  # third: cannot tell
    now = utcnow()
    assert sender_with(db, settings, adapter).send_batch(wave_id, now=now).unknown == 3
    pool = AdapterPool(settings, dict.fromkeys(Channel, adapter))
    later = now + timedelta(seconds=settings.reconcile_after_seconds)
    with db.session() as session:
        report = recover_stale(session, pool, lease_seconds=600, now=later)
    assert (report.sent, report.requeued, report.unknown) == (1, 1, 1)
    with db.session() as session:
        rows = {
            m.id: (m.status.value, m.provider_message_id, m.error_message)
            for m in session.scalars(select(Message))
        }
    assert rows[first] == ("sent", "SMfound", None)
    assert rows[second][:2] == ("pending", None)
    assert rows[third][0] == "unknown"
    # The provider is asked with what identifies each message: recipient, link token, time.
    tokens = {m.message_id: m.marker for m in adapter.asked}
    with db.session() as session:
        secret = session.scalar(select(Message.secret).where(Message.id == first))
    assert tokens[first] == message_token(first, str(secret))
    assert {m.since for m in adapter.asked} == {now}


def test_a_late_acceptance_is_recorded_as_sent_whatever_the_lease_did(
    db: Database, settings: Settings
) -> None:
    wave_id = planned_wave(db, students=2)
    now = utcnow()
    recovered: list[object] = []

    def slow(_message: object) -> None:
        # The lease runs out while the provider takes its time: recovery gives up on them.
        if not recovered:
            with db.session() as session:
                silent = AdapterPool(settings, dict.fromkeys(Channel, RecordingAdapter()))
                recovered.append(
                    recover_stale(session, silent, lease_seconds=0, now=now + timedelta(hours=1))
                )
        return

    adapter = RecordingAdapter(slow)
    outcome = sender_with(db, settings, adapter).send_batch(wave_id, now=now)
    assert recovered[0].unknown == 2  # type: ignore[attr-defined]
    assert outcome.sent == 2
    with db.session() as session:
        rows = session.execute(select(Message.status, Message.provider_message_id)).all()
    assert sorted((s.value, bool(p)) for s, p in rows) == [("sent", True)] * 2
    # So nobody can send them again by hand.
    with db.session() as session:
        session.execute(update(Message).values(status=MessageStatus.UNKNOWN))
        campaign_id = session.scalar(select(Message.wave_id)) or 0
    with db.session() as session:
        result = requeue_unknown(session, campaign_id)
    assert (result.requeued, result.refused) == (0, 2)
    assert {s for s, _ in statuses(db)} == {"unknown"}


def test_success_clears_the_error_of_an_earlier_attempt(db: Database, settings: Settings) -> None:
    wave_id = planned_wave(db, students=1)
    attempts: list[int] = []

    def flaky(_message: object) -> TransientError | None:
        attempts.append(1)
        return TransientError("HTTP 503", code="503") if len(attempts) == 1 else None

    sender = sender_with(db, settings, RecordingAdapter(flaky))
    now = utcnow()
    assert sender.send_batch(wave_id, now=now).retried == 1
    with db.session() as session:
        assert session.scalar(select(Message.error_code)) == "503"
    assert sender.send_batch(wave_id, now=now + timedelta(hours=2)).sent == 1
    with db.session() as session:
        message = session.scalars(select(Message)).one()
    assert (message.status, message.error_code, message.error_message) == (
        MessageStatus.SENT,
        None,
        None,
    )


def test_a_configuration_error_gives_the_claim_back_and_holds_the_wave(
    db: Database, settings: Settings
) -> None:
    wave_id = planned_wave(db, students=2)
    adapter = RecordingAdapter(lambda _m: ConfigurationError("no API key"))
    outcome = sender_with(db, settings, adapter).send_batch(wave_id)
    assert (outcome.idle, outcome.sent, outcome.more) == ("held", 0, False)
    with db.session() as session:
        rows = session.execute(select(Message.status, Message.attempts)).all()
        reason = session.scalar(select(Wave.hold_reason))
    assert [(s.value, a) for s, a in rows] == [("pending", 0)] * 2
    assert reason == "email: no API key"


class SmsUnavailable(RecordingAdapter):
    def deliver(self, batch: Sequence[OutboundMessage]) -> list[SendResult]:
        if any(m.channel is Channel.SMS for m in batch):
            raise ConfigurationError("TWILIO_SMS_FROM is not set")
        return super().deliver(batch)


def test_a_channel_that_cannot_send_holds_only_its_own_messages(
    db: Database, settings: Settings
) -> None:
    now = utcnow()
    with db.session() as session:
        session.add_all([factories.student() for _ in range(2)])
        session.add_all([factories.student(personal_email=None, email=None) for _ in range(2)])
        campaign = factories.campaign(
            session, [{"channels": ["email", "sms"]}, {"channels": ["email"]}], now=now
        )
        both, email_only = campaign.waves[0].id, campaign.waves[1].id
    with db.session() as session:
        plan_wave(session, both, now=now)
        plan_wave(session, email_only, now=now)
    adapter = SmsUnavailable()
    sender = sender_with(db, settings, adapter)
    first = sender.send_batch(both, now=now)
    # The emails of the wave went; its SMS wait, and the wave says why.
    assert (first.sent, first.idle) == (2, "held")
    again = sender.send_batch(both, now=now)
    assert (again.claimed, again.idle) == (0, "held")
    assert sender.send_batch(email_only, now=now).sent == 2  # the two with an address
    with db.session() as session:
        holds = dict(session.execute(select(Wave.id, Wave.hold_reason)).all())
        waiting = session.scalar(
            select(func.count()).where(
                Message.wave_id == both, Message.status == MessageStatus.PENDING
            )
        )
    assert holds == {both: "sms: TWILIO_SMS_FROM is not set", email_only: None}
    assert waiting == 2
    assert len(adapter.sent) == 4  # nothing twice


def test_nothing_is_claimed_outside_the_window_or_when_paused(
    db: Database, settings: Settings
) -> None:
    now = utcnow()
    with db.session() as session:
        session.add(factories.student())
        local = now.astimezone(ZoneInfo("Europe/Istanbul"))
        closed = (
            (local + timedelta(hours=2)).time().replace(second=0, microsecond=0),
            (local + timedelta(hours=3)).time().replace(second=0, microsecond=0),
        )
        campaign = factories.campaign(session, [{}], window=closed, now=now)
        wave_id, campaign_id = campaign.waves[0].id, campaign.id
    with db.session() as session:
        plan_wave(session, wave_id, now=now)
    adapter = RecordingAdapter()
    sender = sender_with(db, settings, adapter)
    assert sender.send_batch(wave_id, now=now).idle == "window_closed"
    with db.session() as session:
        session.get(type(campaign), campaign_id).window_start = time(0)  # type: ignore[union-attr]
        session.get(type(campaign), campaign_id).status = CampaignStatus.PAUSED  # type: ignore[union-attr]
    assert sender.send_batch(wave_id, now=now).idle == "paused"
    assert adapter.sent == []


def test_stale_claims_are_reconciled_never_blindly_resent(db: Database, settings: Settings) -> None:
    planned_wave(db, students=3)
    outbox = OutboxAdapter.from_env({"CAMPAIGNS_OUTBOX_DIR": str(settings.outbox_dir)})
    now = utcnow()
    with db.session() as session:
        ids = session.scalars(select(Message.id).order_by(Message.id)).all()
        session.execute(
            update(Message).values(status=MessageStatus.SENDING, claimed_at=now, attempts=1)
        )
    # The worker wrote the first message's file, then died before recording anything.
    outbox.path_for(Channel.EMAIL, ids[0]).write_text("Subject: x\n\nbody")

    pool = AdapterPool(settings, {Channel.EMAIL: outbox})
    with db.session() as session:
        early = recover_stale(session, pool, lease_seconds=600, now=now + timedelta(seconds=60))
    assert (early.sent, early.requeued, early.unknown) == (0, 0, 0)
    with db.session() as session:
        report = recover_stale(session, pool, lease_seconds=600, now=now + timedelta(hours=1))
    assert (report.sent, report.requeued) == (1, 2)
    assert statuses(db) == [("sent", None), ("pending", None), ("pending", None)]

    silent = RecordingAdapter()  # cannot tell what happened: reconcile() knows nothing
    with db.session() as session:
        session.execute(
            update(Message)
            .where(Message.id == ids[1])
            .values(status=MessageStatus.SENDING, claimed_at=now)
        )
    with db.session() as session:
        recover_stale(
            session,
            AdapterPool(settings, {Channel.EMAIL: silent}),
            lease_seconds=600,
            now=now + timedelta(hours=1),
        )
    assert statuses(db)[1] == ("unknown", None)
    assert silent.sent == []
