"""Moving a campaign along: launch, pause, resume, cancel, each for an actor.

Every face calls these: the campaign must be within the actor's scope (else it is "not
found"), the change and its audit entry commit together, and the scheduler is woken after
the commit. A launch is checked first: the same checks refuse the same problems in every face,
and a campaign never starts with a channel that cannot send.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from campaigns.access import scopes
from campaigns.core import audit, dispatch
from campaigns.core.actors import Actor
from campaigns.core.db import Database, on_commit
from campaigns.core.errors import CampaignsError
from campaigns.core.models import Campaign
from campaigns.core.settings import Settings
from campaigns.definitions import lifecycle
from campaigns.governance import approval
from campaigns.planning.preflight import Finding, Preflight, preflight

log = logging.getLogger(__name__)


class PreflightFailed(CampaignsError):
    """The checks found problems: nothing was launched."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        lines = "\n".join(f"  - {f.subject}: {f.text}" for f in findings)
        super().__init__(
            f"kampanya başlatılmadı, önce bunları düzeltin / the campaign was not launched, "
            f"fix these first:\n{lines}"
        )


@dataclass(frozen=True, slots=True)
class Launched:
    campaign: Campaign
    preflight: Preflight


def launch(
    db: Database,
    settings: Settings,
    env: Mapping[str, str],
    actor: Actor,
    campaign_id: int,
    *,
    now: datetime,
) -> Launched:
    """Check the campaign (``PreflightFailed`` when anything would keep it from sending),
    start it, record who did, and wake the scheduler. The approval is asked again in the
    transaction that starts it."""
    checked = check(db, settings, env, actor, campaign_id, now=now, draft=True)
    if checked.errors:
        raise PreflightFailed(checked.errors)

    def start(session: Session) -> Campaign:
        def approved_then_launched() -> Campaign:
            campaign = lifecycle.get_campaign(session, campaign_id)
            approval.ensure_approved(session, settings, campaign)
            return lifecycle.launch(session, campaign_id, now=now)

        return _change(session, actor, campaign_id, audit.CAMPAIGN_LAUNCH, approved_then_launched)

    campaign = db.run(start)
    wake_scheduler(settings)
    return Launched(campaign, checked)


def check(
    db: Database,
    settings: Settings,
    env: Mapping[str, str],
    actor: Actor,
    campaign_id: int,
    *,
    now: datetime,
    draft: bool = False,
) -> Preflight:
    """The checks a launch runs and what it would do; nothing changes. With ``draft``, a
    campaign that cannot be launched any more is a ``StateError`` first."""
    with db.session() as session:
        scopes.get_campaign(session, actor, campaign_id)
        if draft:
            lifecycle.ensure_launchable(session, campaign_id)
    return preflight(db, settings, env, campaign_id, now=now)


def pause(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """Stop sending an active campaign until it is resumed."""
    return _change(
        session,
        actor,
        campaign_id,
        audit.CAMPAIGN_PAUSE,
        lambda: lifecycle.pause(session, campaign_id),
    )


def resume(session: Session, settings: Settings, actor: Actor, campaign_id: int) -> Campaign:
    """Continue a paused campaign; the scheduler is woken once the change is committed."""
    campaign = _change(
        session,
        actor,
        campaign_id,
        audit.CAMPAIGN_RESUME,
        lambda: lifecycle.resume(session, campaign_id),
    )
    on_commit(session, lambda: wake_scheduler(settings))
    return campaign


def cancel(session: Session, actor: Actor, campaign_id: int, *, now: datetime) -> Campaign:
    """End a campaign for good: waves not yet done and messages not yet sent are cancelled."""
    return _change(
        session,
        actor,
        campaign_id,
        audit.CAMPAIGN_CANCEL,
        lambda: lifecycle.cancel(session, campaign_id, now=now),
    )


def _change(
    session: Session, actor: Actor, campaign_id: int, action: str, change: Callable[[], Campaign]
) -> Campaign:
    scopes.get_campaign(session, actor, campaign_id)
    campaign = change()
    audit.record(
        session,
        actor.name,
        action,
        audit.campaign_target(campaign_id),
        {"status": campaign.status.value},
    )
    return campaign


def wake_scheduler(settings: Settings) -> None:
    """Hurry the next tick along; the periodic tick picks the campaign up regardless, so a
    broker hiccup must not fail a change already committed."""
    try:
        dispatch.notify_scheduler(settings)
    except Exception as exc:  # see the docstring
        log.warning("could not notify the scheduler: %s", type(exc).__name__)
