"""Four eyes in the browser: an advisor submits a draft for approval from its page; a
coordinator of the faculty or the alumni office finds it under "waiting for my approval",
reviews what the launch would do and every message as a student would get it, then approves
it (as seen) or returns it with a comment. The rules are ``governance.approval``'s."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.access import scopes
from campaigns.core.errors import CampaignsError, NotAllowedError, NotFoundError, StateError
from campaigns.core.models import Campaign, utcnow
from campaigns.delivery.preview import WavePreview, preview_for
from campaigns.governance import approval
from campaigns.http.deps import services_of
from campaigns.planning.preflight import Preflight, forecast
from campaigns.students.audience import count_campaign_audience
from campaigns.web import i18n, labels, sessions
from campaigns.web.page_rendering import message_page, not_found, refused, render


@dataclass(frozen=True, slots=True)
class Waiting:
    campaign: Campaign
    audience: int


@dataclass(frozen=True, slots=True)
class UnderReview:
    campaign: Campaign
    review: approval.Review
    fingerprint: str
    audience: int
    previews: list[WavePreview]
    may_decide: bool
    forecast: Preflight


async def waiting_page(request: Request) -> Response:
    """The drafts waiting for the visitor's approval."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()

    def look(session: Session) -> list[Waiting]:
        return [
            Waiting(c, count_campaign_audience(session, c))
            for c in approval.waiting_for(session, visitor.actor)
        ]

    waiting = await services_of(request).transaction(look)
    return render(
        request,
        "approvals.html",
        language=i18n.for_request(request),
        visitor=visitor,
        waiting=waiting,
    )


async def review_page(request: Request, campaign_id: int) -> Response:
    """Everything an approver decides on: what the launch would do (students per channel,
    cost, first message), and each wave's messages for the first student of the audience.
    The installation's checks are the launch's business, not the approver's."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    services = services_of(request)
    settings = services.settings

    def look(session: Session) -> UnderReview:
        campaign = scopes.get_campaign(session, visitor.actor, campaign_id)
        previews = []
        for wave in campaign.waves:
            try:
                previews.append(
                    preview_for(
                        session,
                        settings,
                        visitor.actor,
                        campaign_id=campaign_id,
                        wave_name=wave.name,
                    )
                )
            except NotFoundError:  # nobody in the audience to show it for
                break
        return UnderReview(
            campaign,
            approval.review_of(session, settings, campaign),
            approval.fingerprint(session, campaign),
            count_campaign_audience(session, campaign),
            previews,
            approval.may_decide(visitor.actor, campaign),
            forecast(session, settings, campaign, utcnow()),
        )

    try:
        seen = await services.transaction(look)
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    return render(
        request,
        "review.html",
        language=i18n.for_request(request),
        visitor=visitor,
        seen=seen,
        checked=seen.forecast,
        labels=labels,
    )


async def submit(request: Request, campaign_id: int) -> Response:
    settings = services_of(request).settings
    return await _decide(
        request,
        campaign_id,
        lambda session, visitor, _form: approval.submit(
            session, settings, visitor.actor, campaign_id, now=utcnow()
        ),
    )


async def approve(request: Request, campaign_id: int) -> Response:
    return await _decide(
        request,
        campaign_id,
        lambda session, visitor, form: approval.approve(
            session,
            visitor.actor,
            campaign_id,
            now=utcnow(),
            seen=sessions.field(form, "fingerprint", 64) or None,
        ),
    )


async def return_for_changes(request: Request, campaign_id: int) -> Response:
    return await _decide(
        request,
        campaign_id,
        lambda session, visitor, form: approval.return_for_changes(
            session,
            visitor.actor,
            campaign_id,
            sessions.field(form, "comment", approval.MAX_COMMENT + 1),
            now=utcnow(),
        ),
    )


Decision = Callable[[Session, sessions.Visitor, FormData], Campaign]


async def _decide(request: Request, campaign_id: int, decide: Decision) -> Response:
    """A review step posted from a form; back to the campaign's page when it is taken."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    _ = i18n.gettext_for(request)
    try:
        await services_of(request).transaction(lambda session: decide(session, visitor, form))
    except NotFoundError:
        return not_found(request)
    except NotAllowedError as exc:
        return message_page(request, _("Not allowed"), str(exc), 403)
    except StateError as exc:
        return refused(request, str(exc))
    except CampaignsError as exc:
        return message_page(request, _("Not done"), str(exc), 422)
    return RedirectResponse(f"/kampanyalar/{campaign_id}", status_code=303)
