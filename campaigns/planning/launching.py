"""Launching a campaign: checked first, then started, audited and handed to the scheduler.

Every face launches through ``launch``: the same checks refuse the same problems in the CLI
and the API, and a campaign never starts with a channel that cannot send.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from campaigns.access import audit
from campaigns.core import dispatch
from campaigns.core.db import Database
from campaigns.core.errors import CampaignsError
from campaigns.core.models import Campaign
from campaigns.core.settings import Settings
from campaigns.definitions import lifecycle
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
    campaign_id: int,
    *,
    actor: str,
    now: datetime,
) -> Launched:
    """Check the campaign (``PreflightFailed`` when anything would keep it from sending),
    start it, record who did, and wake the scheduler."""
    with db.session() as session:
        lifecycle.ensure_launchable(session, campaign_id)
    checked = preflight(db, settings, env, campaign_id, now=now)
    if checked.errors:
        raise PreflightFailed(checked.errors)

    def start(session: Session) -> Campaign:
        campaign = lifecycle.launch(session, campaign_id, now=now)
        audit.record(
            session,
            actor,
            audit.CAMPAIGN_LAUNCH,
            audit.campaign_target(campaign_id),
            {"status": campaign.status.value},
        )
        return campaign

    campaign = db.run(start)
    wake_scheduler(settings)
    return Launched(campaign, checked)


def wake_scheduler(settings: Settings) -> None:
    """Hurry the next tick along; the periodic tick picks the campaign up regardless, so a
    broker hiccup must not fail a change already committed."""
    try:
        dispatch.notify_scheduler(settings)
    except Exception as exc:  # see the docstring
        log.warning("could not notify the scheduler: %s", type(exc).__name__)
