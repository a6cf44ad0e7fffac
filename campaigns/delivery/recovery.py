"""Messages whose outcome was lost are reconciled with their provider, never resent blindly.

Two kinds of rows wait in ``sending``: rows a worker died with (claimed longer ago than the
lease), and rows whose request went out but whose answer was lost (a timeout after sending:
``next_attempt_at`` says when to ask). The adapter is asked what became of them: sent →
``sent``; certainly not sent → ``pending`` again; cannot tell → ``unknown``, for a person to
decide with ``campaigns messages requeue``.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from campaigns.access import scopes
from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.db import lock_in_order
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Wave,
    WaveStatus,
    utcnow,
)
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.governance.caps import FrequencyCaps, Wanted
from campaigns.tracking.links import message_token
from channels.base import Channel, ConfigurationError, InFlight

log = logging.getLogger(__name__)

LOST = "gönderim sonucu bilinmiyor / outcome lost: check with the provider before sending again"


@dataclass(slots=True)
class RecoveryReport:
    sent: int = 0
    requeued: int = 0
    unknown: int = 0


def recover_stale(
    session: Session,
    adapters: AdapterPool,
    *,
    lease_seconds: float,
    now: datetime | None = None,
    caps: FrequencyCaps | None = None,
) -> RecoveryReport:
    """Reconcile rows claimed longer ago than the lease, and rows whose reconciliation is
    due. A row the provider never got goes back to ``pending`` and gives back the slot of
    the frequency caps it took (``caps``): sent later, it takes one again."""
    now = now or utcnow()
    stale = session.execute(
        select(
            Message.id,
            Message.student_id,
            Message.channel,
            Message.provider,
            Message.address,
            Message.secret,
            Message.claimed_at,
        )
        .where(
            Message.status == MessageStatus.SENDING,
            or_(
                Message.claimed_at < now - timedelta(seconds=lease_seconds),
                Message.next_attempt_at <= now,
            ),
        )
        .order_by(Message.id)
        .with_for_update(skip_locked=True)
    ).all()
    # Each row is asked about only with the provider it was claimed for: a message that may
    # have reached one provider is never sent through another.
    by_route: dict[tuple[Channel, str | None], list[InFlight]] = defaultdict(list)
    students = {row.id: row.student_id for row in stale}
    unused: dict[datetime, list[Wanted]] = defaultdict(list)
    for row in stale:
        if row.channel is not None and row.address is not None:  # rows being sent have both
            marker = message_token(row.id, row.secret) if row.secret else None
            since = row.claimed_at or now
            by_route[(row.channel, row.provider)].append(
                InFlight(row.id, row.channel, row.address, marker, since)
            )

    report = RecoveryReport()
    for (channel, provider), in_flight in by_route.items():
        try:
            adapter = (
                adapters.named(provider, channel) if provider else adapters.for_channel(channel)
            )
        except ConfigurationError:
            continue  # asked again once the provider can run: until then the rows wait
        known = adapter.reconcile(in_flight)
        for message in in_flight:
            message_id = message.message_id
            if message_id not in known:
                _set(
                    session,
                    message_id,
                    status=MessageStatus.UNKNOWN,
                    next_attempt_at=None,
                    error_message=LOST,
                )
                report.unknown += 1
            elif (provider_id := known[message_id]) is not None:
                _set(
                    session,
                    message_id,
                    status=MessageStatus.SENT,
                    provider=adapter.name,
                    provider_message_id=provider_id,
                    sent_at=now,
                    next_attempt_at=None,
                    error_code=None,
                    error_message=None,
                )
                report.sent += 1
            else:
                _set(session, message_id, status=MessageStatus.PENDING, next_attempt_at=now)
                unused[message.since].append(Wanted(message_id, students[message_id], channel))
                report.requeued += 1
    if caps:
        for taken_at, wanted in unused.items():
            caps.give_back(session, wanted, taken_at)
    if stale:
        log.warning(
            "reconciled %d messages: %d sent, %d requeued, %d unknown",
            len(stale),
            report.sent,
            report.requeued,
            report.unknown,
        )
    return report


def _set(session: Session, message_id: int, **values: object) -> None:
    session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.SENDING)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


@dataclass(frozen=True, slots=True)
class Requeued:
    """What ``requeue_unknown`` did: messages queued again, and those it refused because
    the provider has them (a provider message id is recorded): sending them again would
    reach the student twice."""

    requeued: int
    refused: int


def requeue(
    session: Session, actor: Actor, campaign_id: int, ids: list[int] | None = None
) -> Requeued:
    """``requeue_unknown`` for ``actor``: a campaign in their scope, audited with how many
    were queued again and refused (a person decided to send again: the log says who)."""
    scopes.get_campaign(session, actor, campaign_id)
    result = requeue_unknown(session, campaign_id, ids)
    audit.record(
        session,
        actor.name,
        audit.MESSAGES_REQUEUE,
        audit.campaign_target(campaign_id),
        {"requeued": result.requeued, "refused": result.refused, "chosen": len(ids or [])},
    )
    return result


def requeue_unknown(session: Session, campaign_id: int, ids: list[int] | None = None) -> Requeued:
    """A person decided that messages in ``unknown`` should be sent again."""
    wave_ids = select(Wave.id).where(Wave.campaign_id == campaign_id)
    chosen = and_(Message.wave_id.in_(wave_ids), Message.status == MessageStatus.UNKNOWN)
    if ids:
        chosen = and_(chosen, Message.id.in_(ids))
    locked = lock_in_order(session, Message.id, chosen)
    refused = session.scalar(
        select(func.count()).where(Message.id.in_(locked), Message.provider_message_id.is_not(None))
    )
    statement = (
        update(Message)
        .where(Message.id.in_(locked), Message.provider_message_id.is_(None))
        .values(status=MessageStatus.PENDING, next_attempt_at=None, error_message=None)
        .execution_options(synchronize_session=False)
    )
    count: int = session.execute(statement).rowcount  # type: ignore[attr-defined]
    if count:
        reopen(session, campaign_id)
    return Requeued(count, refused or 0)


def reopen(session: Session, campaign_id: int) -> None:
    """A finished campaign or wave with messages to send again goes back to sending."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is not None and campaign.status is CampaignStatus.COMPLETED:
        campaign.status = CampaignStatus.ACTIVE
        campaign.finished_at = None
    session.execute(
        update(Wave)
        .where(
            Wave.campaign_id == campaign_id,
            Wave.status == WaveStatus.DONE,
            Wave.id.in_(select(Message.wave_id).where(Message.status == MessageStatus.PENDING)),
        )
        .values(status=WaveStatus.SENDING, finished_at=None)
        .execution_options(synchronize_session=False)
    )
