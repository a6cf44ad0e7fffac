"""Four eyes before sending: an advisor's campaign, where the installation asks for it
(``CAMPAIGNS_APPROVAL_REQUIRED``: some faculties or all), waits for a coordinator of its
faculty or the alumni office to approve it before it can be launched.

The creator (or anyone who sees the campaign) submits it; an approver who is not its creator
approves it or returns it with a comment. What is approved is a fingerprint of the campaign
as the approver saw it (its definition, audience and the message texts its waves use): any
change after that, such as a text edited in the web app, voids the approval and the campaign
must be submitted again. Every step is audited. Every face calls these functions, and the
launch checks the approval both in its checklist and in the transaction that starts it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from campaigns.access import scopes
from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError, NotAllowedError, StateError
from campaigns.core.models import Campaign, CampaignStatus, Role, Student, TemplateText
from campaigns.core.settings import Settings
from campaigns.core.turkish_text import fold
from campaigns.students.audience import campaign_condition

PENDING: Final = "pending"
APPROVED: Final = "approved"
RETURNED: Final = "returned"
MAX_COMMENT: Final = 2000
EVERY_FACULTY: Final = "*"


class CommentRequired(CampaignsError):
    """A campaign is returned with a comment that says what to change."""


@dataclass(frozen=True, slots=True)
class Review:
    """Where a campaign stands with its approval, as every face shows it."""

    required: bool
    state: str | None
    changed: bool
    """Approved, then changed: the approval no longer holds."""
    reviewed_by: str | None = None
    reviewed_at: datetime | None = None
    comment: str | None = None

    @property
    def approved(self) -> bool:
        return self.state == APPROVED and not self.changed

    @property
    def blocks_launch(self) -> bool:
        return self.required and not self.approved

    def explanation(self) -> str:
        """What it means for the launch, and what to do next (Turkish first)."""
        if not self.required:
            return "onay gerekmiyor / no approval needed"
        if self.approved:
            return f"{self.reviewed_by} onayladı / approved by {self.reviewed_by}"
        if self.changed:
            return (
                "onaydan sonra değişti: yeniden onaya gönderin / changed since it was "
                "approved: submit it again"
            )
        if self.state == PENDING:
            return (
                "onay bekliyor: fakülte koordinatörü ya da mezun ofisi onaylayınca "
                "başlatılabilir / waiting for approval by the faculty coordinator or the "
                "alumni office"
            )
        if self.state == RETURNED:
            return (
                f"{self.reviewed_by} geri gönderdi: “{self.comment}”; düzeltip yeniden onaya "
                f"gönderin / returned by {self.reviewed_by}: “{self.comment}”; change it "
                "and submit it again"
            )
        return "onay gerekiyor: önce onaya gönderin / needs approval: submit it first"


def required(session: Session, settings: Settings, campaign: Campaign) -> bool:
    """Whether ``campaign`` must be approved before launch: an advisor created it, and the
    installation asks for approval in its faculty (the one it is declared for, or else the
    faculties of the students it reaches) or in every faculty."""
    if campaign.creator_role != Role.ADVISOR.value:
        return False
    parts = [part.strip() for part in settings.approval_required.split(",") if part.strip()]
    if EVERY_FACULTY in parts:
        return True
    rule = {fold(part) for part in parts}
    if not rule:
        return False
    if campaign.scope_faculty:
        return fold(campaign.scope_faculty) in rule
    reached = session.scalars(
        select(Student.faculty).where(campaign_condition(session, campaign)).distinct()
    )
    return any(fold(faculty) in rule for faculty in reached)


def fingerprint(session: Session, campaign: Campaign) -> str:
    """What an approval covers: the definition, the audience, and the newest version of
    every edited text of the templates its waves use."""
    templates = sorted({wave.template for wave in campaign.waves})
    texts = session.execute(
        select(TemplateText.template, func.max(TemplateText.id))
        .where(TemplateText.template.in_(templates))
        .group_by(TemplateText.template)
    ).all()
    document = {
        "definition": campaign.definition,
        "audience": campaign.audience,
        "texts": sorted([template, newest] for template, newest in texts),
    }
    encoded = json.dumps(document, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode()).hexdigest()


def review_of(session: Session, settings: Settings, campaign: Campaign) -> Review:
    changed = campaign.review_state == APPROVED and campaign.approved_fingerprint != fingerprint(
        session, campaign
    )
    return Review(
        required(session, settings, campaign),
        campaign.review_state,
        changed,
        campaign.reviewed_by,
        campaign.reviewed_at,
        campaign.review_comment,
    )


def submit(
    session: Session, settings: Settings, actor: Actor, campaign_id: int, *, now: datetime
) -> Campaign:
    """Ask for approval of a draft that needs it."""
    campaign = _draft(session, actor, campaign_id)
    review = review_of(session, settings, campaign)
    if not review.required:
        raise StateError(
            "bu kampanya onay gerektirmiyor; doğrudan başlatılabilir / this campaign needs no "
            "approval: launch it"
        )
    if review.state == PENDING or review.approved:
        raise StateError(
            "kampanya zaten onayda ya da onaylı / the campaign is already waiting for "
            "approval or approved"
        )
    campaign.review_state, campaign.submitted_at = PENDING, now
    campaign.approved_fingerprint = None
    _audit(session, actor, audit.CAMPAIGN_SUBMIT, campaign)
    return campaign


def approve(
    session: Session, actor: Actor, campaign_id: int, *, now: datetime, seen: str | None = None
) -> Campaign:
    """Approve a campaign waiting for approval, as it is now; ``seen`` (the fingerprint the
    approver was shown) refuses an approval of something that changed meanwhile."""
    campaign = _reviewable(session, actor, campaign_id)
    if campaign.review_state != PENDING:
        raise StateError("kampanya onay beklemiyor / the campaign is not waiting for approval")
    current = fingerprint(session, campaign)
    if seen is not None and seen != current:
        raise StateError(
            "kampanya siz bakarken değişti: sayfayı yenileyip yeniden bakın / the campaign "
            "changed while you were looking: reload the page and look again"
        )
    campaign.review_state, campaign.approved_fingerprint = APPROVED, current
    campaign.reviewed_by, campaign.reviewed_at, campaign.review_comment = actor.name, now, None
    _audit(session, actor, audit.CAMPAIGN_APPROVE, campaign)
    return campaign


def return_for_changes(
    session: Session, actor: Actor, campaign_id: int, comment: str, *, now: datetime
) -> Campaign:
    """Send a campaign back to its creator with what to change (also an approval not yet
    launched: the approver changed their mind)."""
    comment = comment.strip()
    if not comment:
        raise CommentRequired("neyin değişmesi gerektiğini yazın / write what should change")
    if len(comment) > MAX_COMMENT:
        raise CommentRequired(
            f"yorum çok uzun (en fazla {MAX_COMMENT} karakter) / the comment is too long "
            f"(at most {MAX_COMMENT} characters)"
        )
    campaign = _reviewable(session, actor, campaign_id)
    if campaign.review_state not in (PENDING, APPROVED):
        raise StateError("kampanya onay beklemiyor / the campaign is not waiting for approval")
    campaign.review_state, campaign.approved_fingerprint = RETURNED, None
    campaign.reviewed_by, campaign.reviewed_at, campaign.review_comment = actor.name, now, comment
    _audit(session, actor, audit.CAMPAIGN_RETURN, campaign, comment=comment)
    return campaign


def may_decide(actor: Actor, campaign: Campaign) -> bool:
    """Whether ``actor`` (who sees ``campaign``) may approve or return it now."""
    return (
        campaign.review_state == PENDING
        and actor.role in (Role.ADMIN, Role.COORDINATOR)
        and (campaign.created_by or "").lower() != actor.name.lower()
    )


def waiting_for(session: Session, actor: Actor) -> list[Campaign]:
    """The drafts waiting for ``actor``'s approval: in their scope, not their own."""
    if actor.role not in (Role.ADMIN, Role.COORDINATOR):
        return []
    return list(
        session.scalars(
            select(Campaign)
            .where(
                Campaign.review_state == PENDING,
                Campaign.status == CampaignStatus.DRAFT,
                scopes.campaign_condition(session, actor),
                func.lower(func.coalesce(Campaign.created_by, "")) != actor.name.lower(),
            )
            .options(selectinload(Campaign.waves))
            .order_by(Campaign.submitted_at, Campaign.id)
        )
    )


def ensure_approved(session: Session, settings: Settings, campaign: Campaign) -> None:
    """``StateError`` unless the campaign may be launched as far as approval goes (the
    launch's own transaction asks, so nothing changed since its checklist slips through)."""
    review = review_of(session, settings, campaign)
    if review.blocks_launch:
        raise StateError(f"kampanya başlatılamaz: {review.explanation()}")


def _draft(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    campaign = scopes.get_campaign(session, actor, campaign_id)
    if campaign.status is not CampaignStatus.DRAFT:
        raise StateError(
            "yalnızca taslak kampanyalar onaya gönderilir / only drafts go for approval"
        )
    return campaign


def _reviewable(session: Session, actor: Actor, campaign_id: int) -> Campaign:
    """A draft ``actor`` may decide on: a coordinator of its faculty or an administrator,
    who did not create it."""
    if actor.role not in (Role.ADMIN, Role.COORDINATOR):
        raise NotAllowedError(
            "kampanyaları fakülte koordinatörleri ve mezun ofisi onaylar / campaigns are "
            "approved by faculty coordinators and the alumni office"
        )
    campaign = _draft(session, actor, campaign_id)
    if (campaign.created_by or "").lower() == actor.name.lower():
        raise NotAllowedError(
            "kendi kampanyanızı onaylayamazsınız: başka bir onaylayıcı gerekir / you cannot "
            "approve your own campaign: another approver must"
        )
    return campaign


def _audit(session: Session, actor: Actor, action: str, campaign: Campaign, **details: str) -> None:
    audit.record(
        session,
        actor.name,
        action,
        audit.campaign_target(campaign.id),
        {"review": campaign.review_state or "", **details},
    )
