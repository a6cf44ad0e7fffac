"""A wave previewed for a chosen student: when its first message would leave (a closed day
makes it wait, and the page says why), every part of every channel as it would be sent,
the SMS encoding, characters and segments (live while a wording is tried), the cost of one
message, and "send a test to me" through the configured adapter."""

from __future__ import annotations

import logging
from typing import Final
from urllib.parse import quote, urlencode

from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.access import scopes
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError, NotAllowedError, NotFoundError
from campaigns.core.models import WaveStatus, utcnow
from campaigns.core.settings import Settings
from campaigns.delivery.costs import estimate_cost
from campaigns.delivery.preview import WavePreview, preview_for
from campaigns.delivery.trial_send import prepare_trial, send_trial
from campaigns.governance.calendar import AcademicCalendar
from campaigns.http.deps import services_of
from campaigns.planning.preflight import WaveTiming, wave_timing
from campaigns.web import i18n, labels, sessions
from campaigns.web.page_rendering import message_page, not_found, render
from channels.base import Channel, ConfigurationError, DeliveryError
from channels.gsm import sms_info

log = logging.getLogger(__name__)
MAX_TRY_TEXT: Final = 2000


def wave_path(campaign_id: int, wave: str) -> str:
    return f"/kampanyalar/{campaign_id}/dalgalar/{quote(wave, safe='')}"


async def preview_page(request: Request, campaign_id: int, wave: str) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    services = services_of(request)
    settings = services.settings
    student_no = request.query_params.get("ogrenci", "").strip()[:32] or None

    def look(session: Session) -> tuple[WavePreview, WaveTiming | None]:
        preview = preview_for(
            session,
            settings,
            visitor.actor,
            campaign_id=campaign_id,
            wave_name=wave[:100],
            student_no=student_no,
        )
        return preview, _timing(session, settings, visitor.actor, campaign_id, wave[:100])

    try:
        preview, timing = await services.transaction(look)
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    sms_texts = [
        part.text or ""
        for channel in preview.channels
        if channel.channel is Channel.SMS
        for part in channel.parts
    ]
    try_text = sms_texts[0] if sms_texts else ""
    return render(
        request,
        "preview.html",
        language=i18n.for_request(request),
        visitor=visitor,
        preview=preview,
        costs=_costs(preview, request),
        path=wave_path(campaign_id, preview.wave_name),
        sent_to=_channel(request.query_params.get("gonderildi", "")),
        currency=settings.cost_currency,
        try_text=try_text,
        try_sms=sms_info(try_text),
        labels=labels,
        timing=timing,
    )


def _timing(
    session: Session, settings: Settings, actor: Actor, campaign_id: int, wave_name: str
) -> WaveTiming | None:
    """When a wave still to come would send its first message (the calendar's say)."""
    campaign = scopes.get_campaign(session, actor, campaign_id)
    found = next((w for w in campaign.waves if w.name == wave_name), None)
    if found is None or found.status is not WaveStatus.WAITING:
        return None
    calendar = AcademicCalendar.load(session, settings)
    return wave_timing(calendar, campaign, found, utcnow())


def _costs(preview: WavePreview, request: Request) -> dict[str, object]:
    settings = services_of(request).settings
    return {
        channel.channel.value: estimate_cost(
            settings, channel.channel, channel.sms.segments if channel.sms else None
        )
        for channel in preview.channels
    }


async def send_test(request: Request, campaign_id: int, wave: str) -> Response:
    """The wave's message for the chosen student, sent to the signed-in user's own address."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    _ = i18n.gettext_for(request)
    services = services_of(request)
    channel_name = sessions.field(form, "channel", 20)
    channel = _channel(channel_name)
    student_no = sessions.field(form, "ogrenci", 32) or None
    try:
        trial = await services.transaction(
            lambda session: prepare_trial(
                session,
                services.settings,
                visitor.actor,
                campaign_id=campaign_id,
                wave_name=wave[:100],
                student_no=student_no,
                channel=channel,
            )
        )
    except (NotFoundError, NotAllowedError):
        return not_found(request)
    except CampaignsError as exc:
        return message_page(request, _("The test was not sent"), str(exc), 422)
    try:
        result = await run_in_threadpool(send_trial, services.adapters, trial)
    except (DeliveryError, ConfigurationError) as exc:
        log.warning("test send failed: %s", type(exc).__name__)
        return message_page(
            request,
            _("The test was not sent"),
            _(
                "The provider refused the message (%(reason)s). Try again later; "
                "if it keeps failing, tell the alumni office."
            )
            % {"reason": exc},
            502,
        )
    query = urlencode({"ogrenci": trial.student_no, "gonderildi": result.channel.value})
    return RedirectResponse(f"{wave_path(campaign_id, wave)}?{query}", status_code=303)


async def sms_counter(request: Request) -> Response:
    """Encoding, characters and segments of a wording being tried (an htmx fragment)."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    text = form.get("text")
    info = sms_info(text[:MAX_TRY_TEXT] if isinstance(text, str) else "")
    language = i18n.for_request(request)
    if request.headers.get("HX-Request") == "true":
        return render(request, "sms_counter.html", language=language, sms=info)
    # Without JavaScript the form posts here: the count as a page of its own.
    return render(request, "sms_count_page.html", language=language, visitor=visitor, sms=info)


def _channel(name: str) -> Channel | None:
    return Channel(name) if name in {c.value for c in Channel} else None
