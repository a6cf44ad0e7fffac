"""Send a wave in batches: claim, re-check, render, hand to the adapter, record each result.

Claim before send: rows move ``pending → sending`` in one committed UPDATE before any
provider call, so two workers never send the same row and a crash leaves the row visibly in
``sending`` (see ``recovery``), never silently pending again. No transaction is held open
while a provider is being called.
"""

from __future__ import annotations

import logging
import random
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final, cast

from sqlalchemy import (
    BigInteger,
    Boolean,
    ColumnElement,
    Integer,
    Numeric,
    Row,
    RowMapping,
    Select,
    String,
    Table,
    any_,
    bindparam,
    case,
    exists,
    func,
    literal,
    null,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from campaigns.core import metrics
from campaigns.core.db import Database, among, lock_in_order
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    SkipReason,
    Student,
    Suppression,
    Wave,
    utcnow,
)
from campaigns.core.rendering import (
    STUDENT_ATTRIBUTES,
    Renderer,
    TemplateRenderError,
)
from campaigns.core.settings import Settings
from campaigns.definitions.send_window import SendWindow
from campaigns.delivery import routing
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.composing import Composer
from campaigns.delivery.costs import estimate_cost
from campaigns.delivery.edited_texts import renderer_for, texts_version
from campaigns.delivery.outcomes import Reconcile, RetryAt, RetryPolicy, Sent, decide
from campaigns.governance import privacy
from campaigns.governance.calendar import AcademicCalendar, due_abroad
from campaigns.governance.caps import FrequencyCaps, Wanted
from campaigns.tracking.suppressions import suppress
from channels.base import (
    Channel,
    ConfigurationError,
    DeliveryError,
    OutboundMessage,
    Rejected,
    SendResult,
)
from channels.gsm import sms_info

CALENDAR_SECONDS: Final = 30.0
"""How long a sender uses the academic calendar it read before reading it again."""
log = logging.getLogger(__name__)

messages = cast(Table, Message.__table__)


@dataclass(slots=True)
class BatchOutcome:
    """What one ``send_batch`` call did. ``more`` means call again, with ``after`` as the
    cursor: the last id claimed (a full batch: the chain goes on from there), or ``None``
    (start from the wave's first due row). ``unknown`` counts messages the provider may have
    (they are reconciled, not resent); ``retry_at`` is when the wave's next retry is due, if
    it has one waiting."""

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    retried: int = 0
    skipped: int = 0
    unknown: int = 0
    more: bool = False
    after: int | None = None
    retry_at: datetime | None = None
    idle: str | None = None


@dataclass(frozen=True, slots=True)
class Claimed:
    """A claimed message with its student's data and what may have changed since planning."""

    id: int
    student_id: int
    channel: Channel
    provider: str
    address: str
    secret: str | None
    attempts: int
    student: RowMapping
    language: str
    consent: bool
    suppressed: bool
    converted: bool
    zone: str | None = None
    """The student's own time zone, when it is not the campaign's."""
    commercial_consent: bool = False

    @property
    def wanted(self) -> Wanted:
        """The slot of the frequency caps this message uses."""
        return Wanted(self.id, self.student_id, self.channel)

    @classmethod
    def from_row(cls, row: Row[Any]) -> Claimed:
        return cls(
            row.id,
            row.student_id,
            Channel(row.channel),
            row.provider,
            row.address,
            row.secret,
            row.attempts,
            row._mapping,
            row.language,
            bool(row.consent),
            bool(row.suppressed),
            bool(row.converted),
            row.zone,
            bool(row.commercial_consent),
        )


@dataclass(frozen=True, slots=True)
class ClaimedBatch:
    """The rows to send now, and how many were claimed (``taken``, up to ``last_id``)
    before the holds of the calendar and the caps put some back."""

    rows: list[Claimed]
    taken: int
    last_id: int | None


class WaveSender:
    """Sends batches of one process; holds the adapters and the template cache."""

    def __init__(
        self,
        db: Database,
        settings: Settings,
        adapters: AdapterPool,
        renderer: Renderer | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.db = db
        self.settings = settings
        self.adapters = adapters
        self.composer = Composer(settings, renderer)
        self.caps = FrequencyCaps.of(settings)
        self._texts_version = 0
        self._calendar: tuple[float, date, AcademicCalendar] | None = None
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not security

    def send_batch(
        self, wave_id: int, *, now: datetime | None = None, after: int | None = None
    ) -> BatchOutcome:
        """Claim up to one batch of the wave's due messages (of ids above ``after``, the
        chain's cursor) and send them.

        The cursor keeps each claim from walking past the rows already sent, which the
        planner's statistics, taken when every row was pending, would otherwise do on every
        batch of a large wave. Rows below the cursor (a retry that fell due) are not lost: a
        chain whose cursor reaches the end starts once more from the first row.
        """
        now = now or utcnow()
        started = self.db.run(lambda session: self._claim(session, wave_id, now, after))
        if isinstance(started, BatchOutcome):
            return started
        wave, campaign, taken = started
        claimed = taken.rows
        # Full by what was claimed, not by what is left after the holds: a batch whose rows
        # all wait (caps, another time zone) does not end the chain.
        full = taken.taken >= self.settings.batch_size
        outcome = BatchOutcome(
            claimed=len(claimed),
            more=full or after is not None,
            after=taken.last_id if full else None,
        )
        if not claimed:
            if after is None:
                outcome.idle = "nothing_due"
                outcome.retry_at = self.next_retry(wave_id, now)
            return outcome

        skips: dict[int, SkipReason] = {}
        rejected: dict[int, DeliveryError] = {}
        outbound: dict[tuple[Channel, str], list[OutboundMessage]] = defaultdict(list)
        commercial = privacy.is_commercial(campaign)
        for message in claimed:
            reason = _skip_reason(message, wave, commercial)
            if reason is not None:
                skips[message.id] = reason
                continue
            try:
                route = (message.channel, message.provider)
                outbound[route].append(self._render(message, wave, campaign))
            except TemplateRenderError as exc:
                rejected[message.id] = exc

        by_id = {c.id: c for c in claimed}
        results: list[SendResult] = [Rejected(i, e) for i, e in rejected.items()]
        unknown: dict[int, str] = {}
        providers: dict[int, str] = {}
        held: dict[tuple[Channel, str], str] = {}
        for route, batch in outbound.items():
            try:
                self._send_channel(route, batch, results, unknown, providers)
            except ConfigurationError as exc:
                # The provider cannot send: its rows go back (the next claim picks a provider
                # that can, or the wave waits), the others go on.
                held[route] = self.adapters.mark_unavailable(route[1], route[0], exc)
        if held:
            answered = {r.message_id for r in results} | set(unknown)
            unsent = [m.id for r in held for m in outbound[r] if m.id not in answered]
            release(self.db, unsent)
            self._give_back([by_id[i] for i in unsent], now)
            # A channel none of whose providers can run now holds the wave, with the reason.
            stuck = {
                channel: reason
                for (channel, _), reason in held.items()
                if self.adapters.unavailable(channel) is not None
            }
            if stuck:
                self.db.run(lambda session: _hold(session, wave_id, stuck))
            outcome.more = False  # the chain would only claim the same rows again
            outcome.idle = "held"

        texts = {m.id: m.text for batch in outbound.values() for m in batch}
        # The provider has answered: what it said must be recorded, even if this transaction
        # collides with delivery callbacks for the same messages (it then runs again).
        self.db.run(
            lambda session: self._record(
                session, by_id, texts, results, providers, skips, unknown, now, outcome
            )
        )
        if not outcome.more:
            # The chain of send tasks ends here: it says when the wave's retries are due, so
            # that they start then (not at some later tick).
            outcome.retry_at = self.next_retry(wave_id, now)
        log.info(
            "wave %s: claimed %d, sent %d, failed %d, retried %d, skipped %d, unknown %d",
            wave_id,
            outcome.claimed,
            outcome.sent,
            outcome.failed,
            outcome.retried,
            outcome.skipped,
            outcome.unknown,
        )
        return outcome

    def _give_back(self, unsent: Sequence[Claimed], taken_at: datetime) -> None:
        """The caps' slots of messages that certainly did not reach the student."""
        if self.caps and unsent:
            wanted = [c.wanted for c in unsent]
            self.db.run(lambda session: self.caps.give_back(session, wanted, taken_at))

    def _follow_edited_texts(self, session: Session) -> None:
        """Texts edited in the web app since the last batch: render with them from now on."""
        version = texts_version(session)
        if version != self._texts_version:
            self.composer = Composer(self.settings, renderer_for(session, self.settings))
            self._texts_version = version

    def _current_calendar(self, session: Session, now: datetime) -> AcademicCalendar:
        """The academic calendar, read again at most every ``CALENDAR_SECONDS`` (closed days
        change rarely: one closed or reopened in the web app reaches running senders within
        that), and whenever the day changes."""
        read = time.monotonic()
        if (
            self._calendar is None
            or read - self._calendar[0] > CALENDAR_SECONDS
            or self._calendar[1] != now.date()
        ):
            self._calendar = (
                read,
                now.date(),
                AcademicCalendar.load(session, self.settings, now.date()),
            )
        return self._calendar[2]

    def _claim(
        self, session: Session, wave_id: int, now: datetime, after: int | None
    ) -> tuple[Wave, Campaign, ClaimedBatch] | BatchOutcome:
        """The wave, its campaign and a claimed batch; or why there is nothing to send."""
        wave = session.get(Wave, wave_id)
        if wave is None:
            return BatchOutcome(idle="missing")
        campaign = wave.campaign
        if campaign.status is not CampaignStatus.ACTIVE:
            return BatchOutcome(idle=campaign.status.value)
        self._follow_edited_texts(session)
        calendar = self._current_calendar(session, now)
        if not calendar.is_open(
            now, SendWindow.of(campaign), campaign.timezone, campaign.scope_faculty
        ) and not session.scalar(select(due_abroad(wave.id, now))):
            return BatchOutcome(idle="window_closed")  # outside the hours, or a closed day
        held: dict[Channel, str] = {}
        chosen: dict[Channel, str] = {}
        for name in wave.channels:
            channel = Channel(name)
            usable = self.adapters.usable(channel)
            provider = routing.choose(
                session,
                channel,
                self.adapters.configured(channel),
                [n for n, reason in usable.items() if reason is None],
                self.rng,
            )
            if provider is None:
                held[channel] = "; ".join(str(r) for r in usable.values())
            else:
                # Rows record the adapter's own name (what it answers and is asked by).
                chosen[channel] = self.adapters.named(provider, channel).name
        if held or wave.hold_reason is not None:
            _hold(session, wave.id, held)
        claimed = claim(
            session,
            wave,
            self.settings.batch_size,
            now,
            providers=chosen,
            after=after,
            caps=self.caps,
            calendar=calendar,
        )
        if held and not claimed.rows:
            return BatchOutcome(idle="held")
        return wave, campaign, claimed

    def next_retry(self, wave_id: int, now: datetime) -> datetime | None:
        """When the wave's earliest message waiting for a retry is due (None: none waits)."""
        with self.db.session() as session:
            due: datetime | None = session.scalar(
                select(func.min(messages.c.next_attempt_at)).where(
                    messages.c.wave_id == wave_id,
                    messages.c.status == MessageStatus.PENDING.value,
                    messages.c.next_attempt_at > now,
                )
            )
        return due

    def _render(self, message: Claimed, wave: Wave, campaign: Campaign) -> OutboundMessage:
        return self.composer.compose(
            message_id=message.id,
            channel=message.channel,
            to=message.address,
            student=message.student,
            language=message.language,
            campaign=campaign,
            wave=wave,
            secret=message.secret,
        )

    def _send_channel(
        self,
        route: tuple[Channel, str],
        batch: list[OutboundMessage],
        results: list[SendResult],
        unknown: dict[int, str],
        providers: dict[int, str],
    ) -> None:
        channel, provider = route
        adapter = self.adapters.named(provider, channel)
        providers.update((m.id, adapter.name) for m in batch)
        try:
            # One result per message (the adapter's base class guarantees it); raises only
            # ConfigurationError, when nothing was accepted.
            with metrics.PROVIDER_SECONDS.labels(adapter.name).time():
                results.extend(adapter.send(batch))
        except ConfigurationError:
            raise
        except Exception as exc:
            # Outside the adapter contract (a bug): the provider may or may not have the
            # messages, so never guess; they are reconciled, then left to a person.
            log.error("adapter %s raised %s", adapter.name, type(exc).__name__)
            log.debug("adapter failure", exc_info=True)
            unknown.update((m.id, f"{adapter.name}: {type(exc).__name__}") for m in batch)

    def _record(
        self,
        session: Session,
        claimed: Mapping[int, Claimed],
        texts: Mapping[int, str],
        results: Iterable[SendResult],
        providers: Mapping[int, str],
        skips: Mapping[int, SkipReason],
        unknown: Mapping[int, str],
        now: datetime,
        outcome: BatchOutcome,
    ) -> None:
        sent: list[dict[str, Any]] = []
        failed: list[dict[str, Any]] = []
        retry: list[dict[str, Any]] = []
        suppressed: list[tuple[Claimed, str]] = []
        reconcile = dict(unknown)
        # Failed sends per provider (not accepted, or fate unknown): failover counts them.
        errors: Counter[str] = Counter(providers[i] for i in unknown if i in providers)
        lock_in_order(session, messages.c.id, among(session, messages.c.id, list(claimed)))
        policy = RetryPolicy.of(self.settings)
        for result in results:
            message = claimed[result.message_id]
            provider = providers.get(message.id)
            decision = decide(result, message.attempts, policy, now, self.rng)
            if isinstance(decision, Sent):
                segments = decision.result.segments
                if segments is None and message.channel is not Channel.EMAIL:
                    segments = sms_info(texts.get(message.id, "")).segments
                cost = decision.result.cost
                if cost is None:
                    cost = estimate_cost(self.settings, message.channel, segments)
                sent.append(
                    {
                        "b_id": message.id,
                        "b_provider": provider,
                        "b_pid": decision.result.provider_message_id,
                        "b_segments": segments,
                        "b_cost": cost,
                        "b_estimated": decision.result.cost is None,
                    }
                )
            elif isinstance(decision, Reconcile):
                # The provider may have it: asked again before anything else happens.
                reconcile[message.id] = decision.detail
                errors[provider or ""] += 1
            elif isinstance(decision, RetryAt):
                errors[provider or ""] += 1
                retry.append(
                    {
                        "b_id": message.id,
                        "b_next": decision.at,
                        "b_code": decision.code,
                        "b_error": decision.detail[:2000],
                    }
                )
            else:
                failed.append(
                    {
                        "b_id": message.id,
                        "b_provider": provider,
                        "b_code": decision.code,
                        "b_error": decision.detail[:2000],
                    }
                )
                if decision.suppress:
                    suppressed.append((message, decision.code))
        if session.get_bind().dialect.name == "postgresql":
            record_sent_in_one_statement(session, sent, now)
        else:
            record_sent_portably(session, sent, now)
        _execute_many(session, _FAILED, failed, now)
        _execute_many(session, _RETRY, retry, now)
        if self.caps:
            # Refused or to be retried: the student did not get it; the slot is free again.
            unsent = [claimed[r["b_id"]].wanted for r in (*failed, *retry)]
            self.caps.give_back(session, unsent, now)
        _execute_many(
            session,
            _SKIP,
            [{"b_id": i, "b_reason": r.value} for i, r in skips.items()],
            now,
        )
        check_at = now + timedelta(seconds=self.settings.reconcile_after_seconds)
        _execute_many(
            session,
            _RECONCILE,
            [{"b_id": i, "b_error": e[:2000], "b_next": check_at} for i, e in reconcile.items()],
            now,
        )
        routing.record_errors(session, {p: n for p, n in errors.items() if p}, now)
        _count(claimed, providers, sent, failed, retry, reconcile)
        # Sorted, like every writer of suppressions, so that concurrent inserts never deadlock.
        for message, code in sorted(suppressed, key=lambda s: (s[0].channel, s[0].address)):
            suppress(session, message.channel, message.address, reason=code)
        outcome.sent, outcome.failed, outcome.retried = len(sent), len(failed), len(retry)
        outcome.skipped, outcome.unknown = len(skips), len(reconcile)


def claim(
    session: Session,
    wave: Wave,
    limit: int,
    now: datetime,
    *,
    providers: Mapping[Channel, str],
    after: int | None = None,
    caps: FrequencyCaps | None = None,
    calendar: AcademicCalendar | None = None,
) -> ClaimedBatch:
    """Atomically move up to ``limit`` due pending rows with ids above ``after`` to
    ``sending`` for the provider chosen for their channel (none of a channel without one),
    commit, and return them with what rendering and the send-time checks need. The provider
    is recorded at once: a row whose outcome is lost is asked about only there. In the same
    transaction, rows whose student is outside the sending hours or on a closed day (their
    own, with ``calendar``: ``in_local_hours``), then rows whose student has no slot left
    (with ``caps``: ``within_caps``) are held back."""
    if not providers:
        return ClaimedBatch([], 0, None)  # no channel of the wave can send now
    postgresql = session.get_bind().dialect.name == "postgresql"
    due = (
        select(messages.c.id)
        .where(
            messages.c.wave_id == wave.id,
            messages.c.status == MessageStatus.PENDING.value,
            or_(messages.c.next_attempt_at.is_(None), messages.c.next_attempt_at <= now),
            messages.c.channel.in_([c.value for c in providers]),
            messages.c.id > after if after is not None else true(),
        )
        .order_by(messages.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalar_subquery()
    claiming = (
        update(messages)
        # ``= ANY(ARRAY(…))`` on PostgreSQL: an ``IN (…)`` here is planned as a hash join
        # over a scan of the whole table, for every batch.
        .where(messages.c.id == any_(func.array(due)) if postgresql else messages.c.id.in_(due))
        .values(
            status=MessageStatus.SENDING.value,
            claimed_at=now,
            attempts=messages.c.attempts + 1,
            # On a row in ``sending`` it means "reconcile at" (see ``recovery``).
            next_attempt_at=None,
            provider=case(
                *((messages.c.channel == c.value, literal(p)) for c, p in providers.items()),
                else_=null(),
            ),
        )
        .returning(*(messages.c[name] for name in _CLAIMED_COLUMNS))
    )
    if postgresql:
        # One round trip: the claiming UPDATE feeds the context query as a CTE.
        rows = session.execute(_with_context(claiming.cte("claimed"), wave)).all()
    else:
        ids = [row.id for row in session.execute(claiming)]
        rows = (
            session.execute(_with_context(messages, wave).where(messages.c.id.in_(ids))).all()
            if ids
            else []
        )
    found = sorted((Claimed.from_row(row) for row in rows), key=lambda c: c.id)
    taken, last_id = len(found), (found[-1].id if found else None)
    calendar = calendar or AcademicCalendar(None, {})
    found = in_local_hours(session, wave, found, now, calendar)
    if caps:
        found = within_caps(session, wave, found, now, caps, calendar)
    session.commit()
    return ClaimedBatch(found, taken, last_id)


def in_local_hours(
    session: Session, wave: Wave, claimed: list[Claimed], now: datetime, calendar: AcademicCalendar
) -> list[Claimed]:
    """The claimed rows whose student may get a message now: inside the sending hours in
    their own time zone, on a day open to them (their faculty's closed days included). The
    others go back to ``pending`` until that moment, as they were (no attempt used)."""
    campaign = wave.campaign
    window = SendWindow.of(campaign)
    opens: dict[tuple[str, str | None], datetime | None] = {}
    kept: list[Claimed] = []
    waiting: list[dict[str, Any]] = []
    for row in claimed:
        local = (row.zone or campaign.timezone, row.student["faculty"])
        if local not in opens:
            opens[local] = (
                None
                if calendar.is_open(now, window, *local)
                else calendar.next_open(now, window, *local)
            )
        moment = opens[local]
        if moment is None:
            kept.append(row)
        else:
            waiting.append({"b_id": row.id, "b_next": moment})
    _execute_many(session, _WAIT, waiting, now)
    return kept


def within_caps(
    session: Session,
    wave: Wave,
    claimed: list[Claimed],
    now: datetime,
    caps: FrequencyCaps,
    calendar: AcademicCalendar,
) -> list[Claimed]:
    """The claimed rows that got a slot of the caps. The others go back to ``pending``
    until their student's next slot (within the sending hours, on a day open to them)
    while the wave's time lasts, or are skipped as ``capped``. Rows the send-time checks
    will skip take no slot."""
    commercial = privacy.is_commercial(wave.campaign)
    wanted = [c.wanted for c in claimed if _skip_reason(c, wave, commercial) is None]
    refused = caps.take(session, wanted, now)
    if not refused:
        return claimed
    campaign = wave.campaign
    window = SendWindow.of(campaign)
    deadline = caps.deadline(campaign, wave, now)
    rows = {c.id: c for c in claimed}
    waiting: list[dict[str, Any]] = []
    over: list[dict[str, Any]] = []
    for held in refused:
        row = rows[held.message_id]
        slot = calendar.next_open(
            held.next_slot, window, row.zone or campaign.timezone, row.student["faculty"]
        )
        if slot < deadline:
            waiting.append({"b_id": held.message_id, "b_next": slot})
        else:
            over.append({"b_id": held.message_id, "b_reason": SkipReason.CAPPED.value})
    _execute_many(session, _WAIT, waiting, now)
    _execute_many(session, _SKIP, over, now)
    gone = {held.message_id for held in refused}
    return [c for c in claimed if c.id not in gone]


_CLAIMED_COLUMNS = ("id", "student_id", "channel", "provider", "address", "secret", "attempts")


def _with_context(source: Any, wave: Wave) -> Select[Any]:
    """Claimed rows of ``source`` joined with student data and the send-time checks."""
    c = source.c
    suppressed = exists().where(
        Suppression.channel == c.channel,
        Suppression.address
        == case((c.channel == Channel.EMAIL.value, func.lower(c.address)), else_=c.address),
    )
    stage = wave.options.get("goal_stage", ConversionStage.REGISTERED.value)
    converted = exists().where(Conversion.student_id == c.student_id, Conversion.stage == stage)
    return select(
        *(c[name] for name in _CLAIMED_COLUMNS),
        *(getattr(Student, name) for name in STUDENT_ATTRIBUTES),
        Student.language,
        Student.timezone.label("zone"),
        Student.commercial_consent,
        (Student.contact_consent == true()).label("consent"),
        suppressed.label("suppressed"),
        converted.label("converted"),
    ).join(Student, Student.id == c.student_id)


def _hold(session: Session, wave_id: int, held: Mapping[Channel, str]) -> None:
    """Say why the wave cannot send now (or that it can again): people read it in
    ``campaign show`` and the report."""
    reason = "; ".join(f"{c.value}: {text}" for c, text in sorted(held.items())) or None
    session.execute(
        update(Wave)
        .where(Wave.id == wave_id, Wave.hold_reason.is_distinct_from(reason))
        .values(hold_reason=reason)
        .execution_options(synchronize_session=False)
    )


def _count(
    claimed: Mapping[int, Claimed],
    providers: Mapping[int, str],
    sent: list[dict[str, Any]],
    failed: list[dict[str, Any]],
    retry: list[dict[str, Any]],
    reconcile: Mapping[int, str],
) -> None:
    """The batch's outcomes in the messages counter."""
    counts: Counter[tuple[str, str, str]] = Counter()
    for outcome, ids in (
        ("sent", [r["b_id"] for r in sent]),
        ("failed", [r["b_id"] for r in failed]),
        ("retry", [r["b_id"] for r in retry]),
        ("unknown", list(reconcile)),
    ):
        for message_id in ids:
            channel = claimed[message_id].channel.value if message_id in claimed else ""
            counts[(channel, providers.get(message_id, ""), outcome)] += 1
    for (channel, provider, outcome), count in counts.items():
        metrics.MESSAGES.labels(channel, provider, outcome).inc(count)


def release(db: Database, ids: Sequence[int]) -> None:
    """Give back claimed rows that were certainly not handed to any provider."""
    if not ids:
        return
    with db.session() as session:
        session.execute(
            update(messages)
            .where(messages.c.id.in_(ids), messages.c.status == MessageStatus.SENDING.value)
            .values(
                status=MessageStatus.PENDING.value,
                attempts=messages.c.attempts - 1,
                provider=None,
            )
        )


def _skip_reason(row: Claimed, wave: Wave, commercial: bool) -> SkipReason | None:
    """Consent (commercial consent too, for a ``commercial`` campaign), opt-out and
    conversion are checked again at send time."""
    if not row.consent:
        return SkipReason.NO_CONSENT
    if commercial and not row.commercial_consent:
        return SkipReason.NO_COMMERCIAL_CONSENT
    if row.suppressed:
        return SkipReason.SUPPRESSED
    if wave.only_unconverted and row.converted:
        return SkipReason.CONVERTED
    return None


def _status_is(*statuses: MessageStatus) -> ColumnElement[bool]:
    """A status test with its values inline (``IN`` would expand a parameter, which a
    statement executed for many rows cannot have)."""
    return or_(*(messages.c.status == literal(s.value) for s in statuses))


_ID = messages.c.id == bindparam("b_id")
_IS_SENDING = messages.c.status == MessageStatus.SENDING.value
# Still waiting for the provider's answer: claimed, or given up on by recovery when the
# lease ran out (``unknown``). An answer that arrives that late is still the truth.
_AWAITING_ANSWER = _status_is(MessageStatus.SENDING, MessageStatus.UNKNOWN)
# A provider's callbacks may have advanced the row before the acceptance is recorded.
_REPORTED = (
    MessageStatus.SENT,
    MessageStatus.DELIVERED,
    MessageStatus.READ,
    MessageStatus.FAILED,
)


def _accepted_values(
    provider: Any, pid: Any, segments: Any, cost: Any, estimated: Any, now: Any
) -> dict[str, Any]:
    """What an acceptance writes, whatever became of the row meanwhile: it is ``sent`` (so
    nobody sends it again) unless a callback already told more, it keeps the provider's id,
    and an earlier attempt's error is cleared."""
    return {
        "status": case((_status_is(*_REPORTED), messages.c.status), else_=MessageStatus.SENT.value),
        "provider": provider,
        "provider_message_id": pid,
        "segments": segments,
        "cost": cost,
        "cost_estimated": estimated,
        "sent_at": func.coalesce(messages.c.sent_at, now),
        "next_attempt_at": None,
        "error_code": None,
        "error_message": None,
    }


_SENT = (
    update(messages)
    .where(_ID)
    .values(
        _accepted_values(
            bindparam("b_provider"),
            bindparam("b_pid"),
            bindparam("b_segments"),
            bindparam("b_cost"),
            bindparam("b_estimated"),
            bindparam("b_now"),
        )
    )
)
_FAILED = (
    update(messages)
    .where(_ID, _AWAITING_ANSWER)
    .values(
        status=MessageStatus.FAILED.value,
        provider=bindparam("b_provider"),
        error_code=bindparam("b_code"),
        error_message=bindparam("b_error"),
        failed_at=bindparam("b_now"),
    )
)
_RETRY = (
    update(messages)
    .where(_ID, _AWAITING_ANSWER)
    .values(
        status=MessageStatus.PENDING.value,
        # Certainly not accepted: the next claim may choose another provider.
        provider=None,
        next_attempt_at=bindparam("b_next"),
        error_code=bindparam("b_code"),
        error_message=bindparam("b_error"),
    )
)
_SKIP = (
    update(messages)
    .where(_ID, _IS_SENDING)
    .values(
        # Channel and address stay: the student was eligible when the wave was planned.
        status=MessageStatus.SKIPPED.value,
        skip_reason=bindparam("b_reason"),
    )
)
_RECONCILE = (
    update(messages)
    .where(_ID, _IS_SENDING)
    # Still ``sending``: nobody claims it again; recovery asks the provider at ``next``.
    .values(next_attempt_at=bindparam("b_next"), error_message=bindparam("b_error"))
)


_WAIT = (
    update(messages)
    .where(_ID, _IS_SENDING)
    .values(
        # Not an attempt: the row waits as it was, for its student's next slot or hours.
        status=MessageStatus.PENDING.value,
        attempts=messages.c.attempts - 1,
        provider=None,
        next_attempt_at=bindparam("b_next"),
    )
)


def record_sent_portably(session: Session, rows: list[dict[str, Any]], now: datetime) -> None:
    """Acceptances, one execution per row (SQLite). On PostgreSQL it must leave the rows
    ``record_sent_in_one_statement`` leaves (a test compares)."""
    _execute_many(session, _SENT, rows, now)


def record_sent_in_one_statement(
    session: Session, rows: list[dict[str, Any]], now: datetime
) -> None:
    """Acceptances on PostgreSQL, the common case of every batch: one statement (arrays
    unnested into a join), with the values of ``_accepted_values`` as the portable path."""
    if not rows:
        return
    values = select(
        func.unnest(bindparam("ids", type_=ARRAY(BigInteger))).label("id"),
        func.unnest(bindparam("providers", type_=ARRAY(String))).label("provider"),
        func.unnest(bindparam("pids", type_=ARRAY(String))).label("pid"),
        func.unnest(bindparam("segments", type_=ARRAY(Integer))).label("segments"),
        func.unnest(bindparam("costs", type_=ARRAY(Numeric))).label("cost"),
        func.unnest(bindparam("estimated", type_=ARRAY(Boolean))).label("estimated"),
    ).subquery("v")
    session.execute(
        update(messages)
        .where(messages.c.id == values.c.id)
        .values(
            _accepted_values(
                values.c.provider,
                values.c.pid,
                values.c.segments,
                values.c.cost,
                values.c.estimated,
                literal(now, messages.c.sent_at.type),
            )
        ),
        {
            "ids": [r["b_id"] for r in rows],
            "providers": [r["b_provider"] for r in rows],
            "pids": [r["b_pid"] for r in rows],
            "segments": [r["b_segments"] for r in rows],
            "costs": [r["b_cost"] for r in rows],
            "estimated": [r["b_estimated"] for r in rows],
        },
    )


def _execute_many(
    session: Session, statement: Any, params: list[dict[str, Any]], now: datetime
) -> None:
    if params:
        session.execute(statement, [{**p, "b_now": now} for p in params])
