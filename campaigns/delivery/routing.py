"""Several providers per channel: which one a batch goes to, and how their shares follow
their health.

Each channel lists its providers with shares (``CAMPAIGNS_SMS_ADAPTER="netgsm:70,
twilio-sms:30"``). A batch picks one provider per channel at random by the current shares
among those that can run, and the claim records it on every row, so a row whose outcome is
lost is reconciled with the provider it went to and never sent again elsewhere. On every
tick the scheduler looks at each provider's failed sends in the window and its share of
slow deliveries: an unhealthy provider's share drops to nothing (the others take it), and
comes back in two steps once it has been healthy for a window. An administrator may pin the
shares by hand, with a reason, until they unpin them. Every change is recorded.
"""

from __future__ import annotations

import random
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, delete, func, select
from sqlalchemy.orm import Session

from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError
from campaigns.core.models import (
    Message,
    MessageStatus,
    ProviderChange,
    ProviderError,
    ProviderState,
)
from campaigns.core.settings import Settings
from channels.base import Channel

SCHEDULER_ACTOR = "scheduler"
ERRORS_KEPT = timedelta(hours=1)
SLOW_MINIMUM = 20
"""Fewer sent messages than this tell nothing about a provider's speed."""
PROVIDERS_PIN = "providers.pin"


@dataclass(frozen=True, slots=True)
class Share:
    provider: str
    configured: int
    current: int
    pinned: bool
    reason: str | None


Configured = Sequence[tuple[str, int]]
"""A channel's providers and their configured shares (``Settings.providers_for``)."""


def shares(session: Session, channel: Channel, configured: Configured) -> list[Share]:
    """The channel's providers, their configured and current shares."""
    states = {
        s.provider: s
        for s in session.scalars(select(ProviderState).where(ProviderState.channel == channel))
    }
    found = []
    for name, share in configured:
        state = states.get(name)
        current = state.weight if state is not None else share
        found.append(
            Share(
                name,
                share,
                current,
                state.pinned if state else False,
                state.reason if state else None,
            )
        )
    return found


def choose(
    session: Session,
    channel: Channel,
    configured: Configured,
    usable: Collection[str],
    rng: random.Random,
) -> str | None:
    """A provider for one batch of ``channel``, among the ``usable`` ones (those that can
    run), by their current shares; when every usable one is at nothing, the one with the
    largest configured share (a channel never stops because all were demoted). None when
    none is usable."""
    candidates = [s for s in shares(session, channel, configured) if s.provider in usable]
    if not candidates:
        return None
    weighted = [s for s in candidates if s.current > 0]
    if not weighted:
        return max(candidates, key=lambda s: s.configured).provider
    return rng.choices([s.provider for s in weighted], [s.current for s in weighted])[0]


def record_errors(session: Session, counts: Mapping[str, int], now: datetime) -> None:
    """Failed sends of a batch per provider, for the failover window."""
    for provider, count in sorted(counts.items()):
        if count:
            session.add(ProviderError(at=now, provider=provider, count=count))


@dataclass(frozen=True, slots=True)
class Health:
    errors: int
    slow_share: float | None


def health(session: Session, settings: Settings, provider: str, now: datetime) -> Health:
    """Failed sends within the window, and the share of messages sent around
    ``slow_delivery_minutes`` ago that are still not delivered."""
    window = timedelta(seconds=settings.failover_window_seconds)
    errors = session.scalar(
        select(func.coalesce(func.sum(ProviderError.count), 0)).where(
            ProviderError.provider == provider, ProviderError.at > now - window
        )
    )
    slow_after = timedelta(minutes=settings.slow_delivery_minutes)
    sent_then = and_(
        Message.provider == provider,
        Message.sent_at <= now - slow_after,
        Message.sent_at > now - 2 * slow_after,
    )
    total, waiting = session.execute(
        select(
            func.count(),
            func.count(case((Message.status == MessageStatus.SENT, Message.id))),
        ).where(sent_then)
    ).one()
    share = waiting / total if total >= SLOW_MINIMUM else None
    return Health(int(errors or 0), share)


def rebalance(session: Session, settings: Settings, now: datetime) -> list[ProviderChange]:
    """Demote unhealthy providers, bring healthy ones back (of the channels configured with
    several); the changes made."""
    session.execute(delete(ProviderError).where(ProviderError.at < now - ERRORS_KEPT))
    changes: list[ProviderChange] = []
    quiet = timedelta(seconds=settings.failover_window_seconds)
    for channel in Channel:
        configured = settings.providers_for(channel.value)
        listed = shares(session, channel, configured)
        if len(listed) < 2:
            continue
        for share in listed:
            if share.pinned:
                continue
            found = health(session, settings, share.provider, now)
            others_up = any(s.current > 0 for s in listed if s.provider != share.provider)
            trouble = _trouble(settings, found)
            if trouble is not None and share.current > 0 and others_up:
                changes.append(_set(session, channel, share, 0, trouble, SCHEDULER_ACTOR, now))
            elif trouble is None and share.current < share.configured:
                state = session.get(ProviderState, (channel, share.provider))
                if state is not None and state.changed_at <= now - quiet:
                    step = max(1, share.configured // 2)
                    weight = min(share.configured, share.current + step)
                    reason = (
                        "düzeldi / recovered"
                        if weight == share.configured
                        else "düzeliyor / recovering"
                    )
                    changes.append(
                        _set(session, channel, share, weight, reason, SCHEDULER_ACTOR, now)
                    )
            listed = shares(session, channel, configured)
    return changes


def _trouble(settings: Settings, found: Health) -> str | None:
    if found.errors >= settings.failover_errors:
        return f"{found.errors} hata / failed sends in {settings.failover_window_seconds} s"
    if found.slow_share is not None and found.slow_share >= settings.slow_delivery_share:
        return (
            f"yavaş teslim / slow deliveries: {found.slow_share:.0%} not delivered within "
            f"{settings.slow_delivery_minutes} min"
        )
    return None


def _set(
    session: Session,
    channel: Channel,
    share: Share,
    weight: int,
    reason: str,
    actor: str,
    now: datetime,
    *,
    pinned: bool = False,
) -> ProviderChange:
    state = session.get(ProviderState, (channel, share.provider))
    if state is None:
        state = ProviderState(channel=channel, provider=share.provider)
        session.add(state)
    state.weight, state.pinned, state.reason, state.changed_at = weight, pinned, reason, now
    change = ProviderChange(
        at=now,
        channel=channel,
        provider=share.provider,
        weight_before=share.current,
        weight_after=weight,
        reason=reason,
        actor=actor,
    )
    session.add(change)
    session.flush()
    return change


def pin(
    session: Session,
    settings: Settings,
    actor: Actor,
    channel: Channel,
    weights: Mapping[str, int],
    reason: str,
    now: datetime,
) -> list[ProviderChange]:
    """Fix the channel's shares by hand (administrators only, with a reason): health no
    longer moves them until ``unpin``."""
    actor.must_be_admin("sağlayıcı paylarını yöneticiler sabitler / administrators pin shares")
    reason = reason.strip()
    if not reason:
        raise CampaignsError("bir neden yazın / give a reason")
    listed = {
        s.provider: s for s in shares(session, channel, settings.providers_for(channel.value))
    }
    unknown = sorted(set(weights) - set(listed))
    if unknown:
        raise CampaignsError(
            f"bu kanalda tanımlı değil / not configured for {channel.value}: {', '.join(unknown)}"
        )
    if not any(weights.get(name, 0) > 0 for name in listed):
        raise CampaignsError("en az bir sağlayıcının payı olmalı / at least one needs a share")
    changes = [
        _set(session, channel, share, weights.get(name, 0), reason, actor.name, now, pinned=True)
        for name, share in listed.items()
    ]
    audit.record(
        session, actor.name, PROVIDERS_PIN, f"channel:{channel.value}", {"weights": dict(weights)}
    )
    return changes


def unpin(
    session: Session, settings: Settings, actor: Actor, channel: Channel, now: datetime
) -> list[ProviderChange]:
    """Give the channel's shares back to health (to their configured values)."""
    actor.must_be_admin("sağlayıcı paylarını yöneticiler sabitler / administrators pin shares")
    changes = [
        _set(
            session,
            channel,
            share,
            share.configured,
            "sabitleme kaldırıldı / unpinned",
            actor.name,
            now,
        )
        for share in shares(session, channel, settings.providers_for(channel.value))
        if share.pinned
    ]
    audit.record(session, actor.name, PROVIDERS_PIN, f"channel:{channel.value}", {"unpinned": True})
    return changes


def history(session: Session, limit: int = 50) -> list[ProviderChange]:
    """The latest changes of shares, newest first."""
    query = select(ProviderChange).order_by(ProviderChange.at.desc(), ProviderChange.id.desc())
    return list(session.scalars(query.limit(limit)))
