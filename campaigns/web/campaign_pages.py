"""Campaigns in the browser: the list with status and progress, one campaign with its waves,
its actions (pause, resume, cancel) and its report, which refreshes itself while waves are
sending and downloads as XLSX or CSV."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.access import scopes
from campaigns.core.errors import NotAllowedError, NotFoundError, StateError
from campaigns.core.models import Campaign, CampaignStatus, utcnow
from campaigns.core.settings import Settings
from campaigns.core.spreadsheets import csv_text, xlsx_bytes
from campaigns.definitions.file_export import campaign_toml
from campaigns.governance import approval
from campaigns.http.deps import services_of
from campaigns.planning import launching
from campaigns.reports.campaign_progress import Progress, progress_of
from campaigns.reports.funnel import Dimension, Report, campaign_report
from campaigns.web import i18n, labels, sessions
from campaigns.web.downloads import download
from campaigns.web.page_rendering import not_found, refused, render

LIVE: Final = (CampaignStatus.ACTIVE, CampaignStatus.PAUSED)
"""Campaigns whose report may still change: the page asks for it again every few seconds."""
DIMENSIONS: Final = {
    "dalga": Dimension.wave,
    "kanal": Dimension.channel,
    "fakulte": Dimension.faculty,
    "bolum": Dimension.department,
    "danisman": Dimension.advisor,
}
FUNNEL: Final = ("audience", "sent", "delivered", "clicked", "converted", "form_submitted")
ROW_COLUMNS: Final = (
    "reached",
    "sent",
    "delivered",
    "failed",
    "capped",
    "clicked",
    "converted",
    "form_submitted",
)


@dataclass(frozen=True, slots=True)
class Listed:
    campaign: Campaign
    progress: Progress


def _listed(session: Session, visitor: sessions.Visitor) -> list[Listed]:
    found = scopes.list_campaigns(session, visitor.actor)
    progress = progress_of(session, [c.id for c in found])
    return [Listed(c, progress.get(c.id, Progress())) for c in reversed(found)]


async def campaigns_page(request: Request) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    listed = await services_of(request).transaction(lambda session: _listed(session, visitor))
    return render(
        request,
        "campaigns.html",
        language=i18n.for_request(request),
        visitor=visitor,
        listed=listed,
        labels=labels,
    )


def dimension_of(request: Request) -> tuple[str, Dimension]:
    """The report's breakdown chosen in the query string (by wave unless said otherwise)."""
    key = request.query_params.get("kirilim", "dalga")
    return (key, DIMENSIONS[key]) if key in DIMENSIONS else ("dalga", Dimension.wave)


def _report(
    session: Session, visitor: sessions.Visitor, campaign_id: int, by: Dimension, settings: Settings
) -> tuple[Campaign, Report, approval.Review]:
    campaign = scopes.get_campaign(session, visitor.actor, campaign_id)
    report = campaign_report(
        session,
        campaign.id,
        by,
        currency=settings.cost_currency,
        link_tracking=settings.link_tracking,
    )
    return campaign, report, approval.review_of(session, settings, campaign)


async def campaign_page(request: Request, campaign_id: int, *, fragment: bool = False) -> Response:
    """A campaign with its report; ``fragment`` answers only the part that changes while
    it sends (status, actions, waves, report: htmx asks for it every few seconds)."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    key, by = dimension_of(request)
    services = services_of(request)
    try:
        campaign, report, review = await services.transaction(
            lambda session: _report(session, visitor, campaign_id, by, services.settings)
        )
    except NotFoundError:
        return not_found(request)
    return render(
        request,
        "campaign_live.html" if fragment else "campaign.html",
        language=i18n.for_request(request),
        visitor=visitor,
        campaign=campaign,
        report=report,
        review=review,
        may_decide=approval.may_decide(visitor.actor, campaign),
        live=campaign.status in LIVE,
        dimension=key,
        dimensions=DIMENSIONS,
        # A figure not measured (clicks without link tracking) is no bar of zero.
        funnel=[(name, report.totals[name]) for name in FUNNEL if report.totals[name] is not None],
        row_columns=ROW_COLUMNS,
        labels=labels,
    )


async def report_export(request: Request, campaign_id: int, kind: str) -> Response:
    """The report's rows (and a total) as ``xlsx`` or ``csv``."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    _ = i18n.gettext_for(request)
    _key, by = dimension_of(request)
    services = services_of(request)
    try:
        _campaign, report, _review = await services.transaction(
            lambda session: _report(session, visitor, campaign_id, by, services.settings)
        )
    except NotFoundError:
        return not_found(request)
    columns = ("key", *ROW_COLUMNS, "conversion_rate", "median_hours_to_convert", "cost")
    headings = [
        _(labels.DIMENSION[by]),
        *(_(labels.REPORT_COLUMN[name]) for name in columns[1:]),
    ]
    total: dict[str, Any] = {**report.totals, "key": _("Total")}
    rows = [*({**row, "key": row["key"] or "—"} for row in report.rows), total]
    name = f"{_('campaign')}-{campaign_id}-{by.value}"
    if kind == "xlsx":
        zone = services.settings.zone
        return download(xlsx_bytes(headings, columns, rows, zone), name, kind)
    return download(csv_text(headings, columns, rows), name, kind)


async def change(request: Request, campaign_id: int, action: str) -> Response:
    """Pause, resume or cancel a campaign (a form's POST), then show it again."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, _form = posted
    services = services_of(request)
    actor, settings = visitor.actor, services.settings

    def act(session: Session) -> Campaign:
        if action == "duraklat":
            return launching.pause(session, actor, campaign_id)
        if action == "surdur":
            return launching.resume(session, settings, actor, campaign_id)
        return launching.cancel(session, actor, campaign_id, now=utcnow())

    try:
        await services.transaction(act)
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    except StateError as exc:
        return refused(request, str(exc))
    return RedirectResponse(f"/kampanyalar/{campaign_id}", status_code=303)


async def campaign_file(request: Request, campaign_id: int) -> Response:
    """The campaign as a campaign file, to change and import again."""
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    try:
        text = await services_of(request).transaction(
            lambda session: campaign_toml(scopes.get_campaign(session, visitor.actor, campaign_id))
        )
    except NotFoundError:
        return not_found(request)
    return download(text.encode(), f"campaign-{campaign_id}", "toml")
