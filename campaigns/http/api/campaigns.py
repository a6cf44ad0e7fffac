"""Campaigns within the caller's scope: list, create, validate, show, move along, preview,
test-send, report. A campaign outside the scope answers 404, as if it did not exist."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Annotated, Any, Final

from fastapi import APIRouter, Body, Query
from fastapi.encoders import jsonable_encoder
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from campaigns.access import scopes
from campaigns.core.models import Campaign, utcnow
from campaigns.core.settings import Settings
from campaigns.definitions import drafts, lifecycle
from campaigns.delivery.preview import preview_for
from campaigns.delivery.trial_send import prepare_trial, send_trial
from campaigns.governance import approval
from campaigns.http.api.auth import CurrentActor
from campaigns.http.api.common import (
    CONFLICT,
    ERROR_RESPONSES,
    FORBIDDEN,
    NOT_FOUND,
    UNREADABLE_BODY,
    Adapters,
    CampaignId,
    Deps,
    WaveName,
    answered,
    definition_errors,
    delivery_failure,
    refuse_unsafe_text,
    run,
    text_query,
)
from campaigns.http.api.definition_schema import definition_schema
from campaigns.http.api.schemas import (
    ApproveIn,
    CampaignOut,
    CampaignSummaryOut,
    ErrorOut,
    FieldErrorOut,
    LaunchOut,
    PreflightOut,
    PreviewOut,
    ReturnIn,
    TrialSendIn,
    TrialSendOut,
    ValidationOut,
)
from campaigns.http.deps import Services
from campaigns.planning import launching
from campaigns.reports.funnel import Dimension, campaign_report
from campaigns.students.audience import count_campaign_audience
from channels.base import ConfigurationError, DeliveryError

log = logging.getLogger(__name__)
router = APIRouter(tags=["campaigns"], responses=ERROR_RESPONSES)

DEFINITION_BODY: Final[dict[str, Any]] = {
    "requestBody": {
        "required": True,
        "description": "Kampanya dosyasının JSON hâli / the campaign file's keys, as JSON.",
        "content": {"application/json": {"schema": definition_schema()}},
    }
}
Definition = Annotated[dict[str, Any], Body()]
StudentQuery = Annotated[
    str | None,
    text_query(
        "Öğrenci no; yoksa kitledeki ilk öğrenci / student number; by default the first "
        "student of the audience within your scope",
        32,
    ),
]


async def _campaign(deps: Services, work: Callable[[Session], Campaign]) -> CampaignOut:
    """The campaign ``work`` gives or changes, answered in the same transaction."""
    return await run(deps, lambda session: _out(session, deps.settings, work(session)))


def _out(session: Session, settings: Settings, campaign: Campaign) -> CampaignOut:
    return CampaignOut.of(
        campaign,
        count_campaign_audience(session, campaign),
        approval.review_of(session, settings, campaign),
        approval.fingerprint(session, campaign),
    )


@router.get("/campaigns", response_model=list[CampaignSummaryOut], summary="Kampanyalar")
async def list_campaigns(deps: Deps, actor: CurrentActor) -> list[CampaignSummaryOut]:
    """The campaigns you may see, oldest first."""
    return await run(
        deps,
        lambda session: [CampaignSummaryOut.of(c) for c in scopes.list_campaigns(session, actor)],
    )


@router.get(
    "/campaigns/waiting",
    response_model=list[CampaignSummaryOut],
    summary="Onayımı bekleyenler / waiting for my approval",
)
async def waiting(deps: Deps, actor: CurrentActor) -> list[CampaignSummaryOut]:
    """Drafts waiting for your approval: in your scope, not your own (coordinators and the
    alumni office; empty for others)."""
    return await run(
        deps,
        lambda session: [CampaignSummaryOut.of(c) for c in approval.waiting_for(session, actor)],
    )


@router.post(
    "/campaigns",
    status_code=201,
    response_model=CampaignOut,
    responses=UNREADABLE_BODY,
    openapi_extra=DEFINITION_BODY,
    summary="Taslak kampanya oluştur / create a draft campaign",
)
async def create_campaign(deps: Deps, actor: CurrentActor, definition: Definition) -> CampaignOut:
    """Store a definition (the campaign file's keys as JSON) as a draft.

    Every problem is answered at once (422, ``loc`` is the key path). The campaign is
    declared for your scope (an administrator may choose one with a ``scope`` table) and only
    ever reaches students within it, whatever later imports bring. Audience values are
    matched among the students of your scope only.
    """
    refuse_unsafe_text(definition)

    def work(session: Session) -> CampaignOut:
        campaign = drafts.create(session, actor, definition, settings=deps.settings)
        return _out(session, deps.settings, campaign)

    return await run(deps, work)


@router.post(
    "/campaigns/validate",
    response_model=ValidationOut,
    responses=UNREADABLE_BODY,
    openapi_extra=DEFINITION_BODY,
    summary="Tanımı doğrula / validate a definition",
)
async def validate_campaign(
    deps: Deps, actor: CurrentActor, definition: Definition
) -> ValidationOut:
    """Check a definition as creating it would (scope included); nothing is stored."""
    refuse_unsafe_text(definition)

    def work(session: Session) -> ValidationOut:
        result = drafts.validate(session, actor, definition, settings=deps.settings)
        return ValidationOut(
            valid=result.valid,
            problems=[FieldErrorOut(**e) for e in definition_errors(result.problems)],
            audience_size=result.audience_size,
        )

    return await run(deps, work)


@router.get(
    "/campaigns/{campaign_id}",
    response_model=CampaignOut,
    responses=NOT_FOUND,
    summary="Kampanya / a campaign",
)
async def get_campaign(deps: Deps, actor: CurrentActor, campaign_id: CampaignId) -> CampaignOut:
    """A campaign with its audience and waves."""
    return await _campaign(deps, lambda session: scopes.get_campaign(session, actor, campaign_id))


# --- transitions -----------------------------------------------------------------------------


TRANSITION_RESPONSES: Final = {**NOT_FOUND, **CONFLICT}


@router.get(
    "/campaigns/{campaign_id}/preflight",
    response_model=PreflightOut,
    responses=NOT_FOUND,
    summary="Başlatmadan önce denetim / checks before launching",
)
async def campaign_preflight(
    deps: Deps, actor: CurrentActor, campaign_id: CampaignId
) -> PreflightOut:
    """The checks a launch runs (each channel can send, the setup is not the example one,
    a scheduler runs) and what it would do: students per channel, the estimated cost, when
    the first message leaves. Nothing changes."""
    checked = await answered(
        run_in_threadpool(
            launching.check, deps.db, deps.settings, deps.env, actor, campaign_id, now=utcnow()
        )
    )
    return PreflightOut.of(checked)


@router.post(
    "/campaigns/{campaign_id}/launch",
    response_model=LaunchOut,
    responses=TRANSITION_RESPONSES,
    summary="Başlat / launch",
)
async def launch(deps: Deps, actor: CurrentActor, campaign_id: CampaignId) -> LaunchOut:
    """Check and start a draft: waves given as an offset are scheduled from now. 409 if it
    is not a draft, or when a check fails (each problem is listed; nothing starts)."""
    launched = await answered(
        run_in_threadpool(
            launching.launch, deps.db, deps.settings, deps.env, actor, campaign_id, now=utcnow()
        )
    )
    out = await _campaign(deps, lambda session: lifecycle.get_campaign(session, campaign_id))
    return LaunchOut(**out.model_dump(), preflight=PreflightOut.of(launched.preflight))


@router.post(
    "/campaigns/{campaign_id}/pause",
    response_model=CampaignOut,
    responses=TRANSITION_RESPONSES,
    summary="Duraklat / pause",
)
async def pause(deps: Deps, actor: CurrentActor, campaign_id: CampaignId) -> CampaignOut:
    """Stop sending an active campaign until it is resumed (409 if not active)."""
    return await _campaign(deps, lambda session: launching.pause(session, actor, campaign_id))


@router.post(
    "/campaigns/{campaign_id}/resume",
    response_model=CampaignOut,
    responses=TRANSITION_RESPONSES,
    summary="Sürdür / resume",
)
async def resume(deps: Deps, actor: CurrentActor, campaign_id: CampaignId) -> CampaignOut:
    """Continue a paused campaign (409 if not paused)."""
    return await _campaign(
        deps, lambda session: launching.resume(session, deps.settings, actor, campaign_id)
    )


@router.post(
    "/campaigns/{campaign_id}/cancel",
    response_model=CampaignOut,
    responses=TRANSITION_RESPONSES,
    summary="İptal et / cancel",
)
async def cancel(deps: Deps, actor: CurrentActor, campaign_id: CampaignId) -> CampaignOut:
    """End a campaign for good; messages not yet sent are cancelled (409 if already over)."""
    return await _campaign(
        deps, lambda session: launching.cancel(session, actor, campaign_id, now=utcnow())
    )


# --- approval ----------------------------------------------------------------------------------


@router.post(
    "/campaigns/{campaign_id}/submit",
    response_model=CampaignOut,
    responses=TRANSITION_RESPONSES,
    summary="Onaya gönder / submit for approval",
)
async def submit(deps: Deps, actor: CurrentActor, campaign_id: CampaignId) -> CampaignOut:
    """Ask for approval of a draft that needs it (409 if it needs none, or waits already)."""
    return await _campaign(
        deps,
        lambda session: approval.submit(session, deps.settings, actor, campaign_id, now=utcnow()),
    )


@router.post(
    "/campaigns/{campaign_id}/approve",
    response_model=CampaignOut,
    responses={**TRANSITION_RESPONSES, **FORBIDDEN, **UNREADABLE_BODY},
    summary="Onayla / approve",
)
async def approve(
    deps: Deps, actor: CurrentActor, campaign_id: CampaignId, body: ApproveIn | None = None
) -> CampaignOut:
    """Approve a campaign waiting for approval, as it is now (coordinators of its faculty
    and the alumni office, never its creator: 403). With ``fingerprint``, 409 if the
    campaign changed since you looked."""
    seen = body.fingerprint if body else None
    return await _campaign(
        deps, lambda session: approval.approve(session, actor, campaign_id, now=utcnow(), seen=seen)
    )


@router.post(
    "/campaigns/{campaign_id}/return",
    response_model=CampaignOut,
    responses={**TRANSITION_RESPONSES, **FORBIDDEN, **UNREADABLE_BODY},
    summary="Geri gönder / return with a comment",
)
async def return_for_changes(
    deps: Deps, actor: CurrentActor, campaign_id: CampaignId, body: ReturnIn
) -> CampaignOut:
    """Send a campaign back to its creator with what should change (422 without one)."""
    return await _campaign(
        deps,
        lambda session: approval.return_for_changes(
            session, actor, campaign_id, body.comment, now=utcnow()
        ),
    )


# --- waves -----------------------------------------------------------------------------------


@router.get(
    "/campaigns/{campaign_id}/waves/{wave}/preview",
    response_model=PreviewOut,
    responses=NOT_FOUND,
    summary="Önizleme / preview",
)
async def preview(
    deps: Deps,
    actor: CurrentActor,
    campaign_id: CampaignId,
    wave: WaveName,
    student: StudentQuery = None,
) -> PreviewOut:
    """Every part of every channel of a wave, rendered for one student you may see (404 for
    one you may not); parts that cannot be rendered carry their error. Nothing is sent."""

    def work(session: Session) -> PreviewOut:
        result = preview_for(
            session,
            deps.settings,
            actor,
            campaign_id=campaign_id,
            wave_name=wave,
            student_no=student,
        )
        return PreviewOut.of(result)

    return await run(deps, work)


@router.post(
    "/campaigns/{campaign_id}/waves/{wave}/test-send",
    response_model=TrialSendOut,
    responses={
        **NOT_FOUND,
        **UNREADABLE_BODY,
        502: {"model": ErrorOut, "description": "Sağlayıcı reddetti / the provider refused"},
        503: {"model": ErrorOut, "description": "Kanal yapılandırılmamış / not configured"},
    },
    summary="Kendinize deneme gönderimi / test send to yourself",
)
async def send_to_self(
    deps: Deps,
    actor: CurrentActor,
    adapters: Adapters,
    campaign_id: CampaignId,
    wave: WaveName,
    body: Annotated[TrialSendIn | None, Body()] = None,
) -> TrialSendOut:
    """Send the wave's message, rendered for a student, to YOUR address (your email, or your
    phone for SMS and WhatsApp: 422 if you have none) through the configured adapter. No
    campaign message is created; the send is recorded in the audit log."""
    request = body or TrialSendIn()
    trial = await run(
        deps,
        lambda session: prepare_trial(
            session,
            deps.settings,
            actor,
            campaign_id=campaign_id,
            wave_name=wave,
            student_no=request.student_no,
            channel=request.channel,
        ),
    )
    try:
        result = await run_in_threadpool(send_trial, adapters, trial)
    except (DeliveryError, ConfigurationError) as exc:
        raise delivery_failure(exc) from None
    return TrialSendOut.of(result)


# --- report ----------------------------------------------------------------------------------


@router.get(
    "/campaigns/{campaign_id}/report",
    response_model=dict[str, Any],
    responses=NOT_FOUND,
    summary="Huni raporu / funnel report",
)
async def report(
    deps: Deps,
    actor: CurrentActor,
    campaign_id: CampaignId,
    by: Annotated[
        Dimension | None, Query(description="Satırlar / one row per value of this dimension")
    ] = None,
) -> dict[str, Any]:
    """The campaign's funnel (the figures of ``campaigns report --format json``): totals,
    and with ``by`` one row per wave, channel, faculty, department or advisor."""

    def work(session: Session) -> dict[str, Any]:
        scopes.get_campaign(session, actor, campaign_id)
        data: dict[str, Any] = jsonable_encoder(
            campaign_report(
                session,
                campaign_id,
                by,
                currency=deps.settings.cost_currency,
                link_tracking=deps.settings.link_tracking,
            ).as_dict()
        )
        return data

    return await run(deps, work)
