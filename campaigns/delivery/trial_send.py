"""Test sends: a wave's message, rendered for one student, sent to the requesting user's own
address through the configured adapter. No campaign message row is written; the audit log
records the send, and its entry id (negated) is the message id providers see, so a test
send never collides with a campaign message.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from campaigns.access import audit, scopes
from campaigns.core.errors import CampaignsError, NotFoundError
from campaigns.core.models import Campaign, User, Wave
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.preview import ChannelPreview, preview_wave
from channels.base import (
    Accepted,
    Channel,
    OutboundMessage,
    PermanentError,
    ProviderTemplate,
)


class TrialChannelError(CampaignsError):
    """The channel asked for is not the wave's, or the user has no address on it."""

    location = ("body", "channel")


class TrialRenderError(CampaignsError):
    """The wave's template cannot be rendered for the student."""


@dataclass(frozen=True, slots=True)
class TrialMessage:
    """A rendered test message, ready for the adapter."""

    campaign_id: int
    wave: str
    student_no: str
    message: OutboundMessage


@dataclass(frozen=True, slots=True)
class TrialResult:
    """What the adapter did with a test message."""

    campaign_id: int
    wave: str
    channel: Channel
    student_no: str
    to: str
    audit_id: int
    provider: str
    provider_message_id: str


def prepare_trial(
    session: Session,
    settings: Settings,
    user: User,
    *,
    campaign_id: int,
    wave_name: str,
    student_no: str | None = None,
    channel: Channel | None = None,
) -> TrialMessage:
    """Render a wave's message for a student within ``user``'s scope (by default the first
    one of the audience), addressed to ``user``, and record the test send in the audit log.

    The channel is the wave's first unless one of its other channels is asked for.
    """
    campaign = scopes.get_campaign(session, user, campaign_id)
    wave = _wave(campaign, wave_name)
    chosen = channel or Channel(wave.channels[0])
    if chosen.value not in wave.channels:
        raise TrialChannelError(
            f"bu dalga {chosen.value} kanalını kullanmıyor ({', '.join(wave.channels)}) / "
            f"this wave does not use the {chosen.value} channel ({', '.join(wave.channels)})"
        )
    address = user.email if chosen is Channel.EMAIL else user.phone
    if not address:
        raise TrialChannelError(
            f"{chosen.value} denemesi için kayıtlı cep telefonunuz yok / "
            f"you have no mobile number on record for a {chosen.value} test"
        )
    student = (
        scopes.get_student(session, user, student_no)
        if student_no is not None
        else scopes.first_student(session, user, campaign)
    )
    preview = preview_wave(
        session,
        settings,
        campaign_id=campaign.id,
        wave_name=wave.name,
        student_no=student.student_no,
    )
    rendered = next(c for c in preview.channels if c.channel is chosen)
    entry = audit.record(
        session,
        user.email,
        audit.CAMPAIGN_TEST_SEND,
        audit.campaign_target(campaign.id),
        {"wave": wave.name, "channel": chosen.value, "student_no": student.student_no},
    )
    return TrialMessage(
        campaign_id=campaign.id,
        wave=wave.name,
        student_no=student.student_no,
        message=_outbound(-entry.id, campaign, wave, rendered, address),
    )


def send_trial(adapters: AdapterPool, trial: TrialMessage) -> TrialResult:
    """Hand a prepared test message to the channel's adapter; ``DeliveryError`` if it is
    refused (``ConfigurationError`` if the adapter cannot run)."""
    message = trial.message
    adapter = adapters.for_channel(message.channel)
    results = adapter.send([message])
    result = next((r for r in results if r.message_id == message.id), None)
    if result is None:
        raise PermanentError(f"{adapter.name}: sonuç yok / no result returned")
    if not isinstance(result, Accepted):
        raise result.error
    return TrialResult(
        campaign_id=trial.campaign_id,
        wave=trial.wave,
        channel=message.channel,
        student_no=trial.student_no,
        to=message.to,
        audit_id=-message.id,
        provider=adapter.name,
        provider_message_id=result.provider_message_id,
    )


def _wave(campaign: Campaign, name: str) -> Wave:
    wave = next((w for w in campaign.waves if w.name == name), None)
    if wave is None:
        raise NotFoundError(f"dalga bulunamadı / wave not found: {name!r}")
    return wave


def _outbound(
    message_id: int, campaign: Campaign, wave: Wave, rendered: ChannelPreview, address: str
) -> OutboundMessage:
    errors = [f"{part.part}: {part.error}" for part in rendered.parts if part.error]
    template = rendered.whatsapp_template
    if template is not None and template.error:
        errors.append(f"content_sid: {template.error}")
    if errors:
        raise TrialRenderError("; ".join(errors))
    texts = {part.part: part.text or "" for part in rendered.parts}
    provider_template = None
    if template is not None and template.content_sid:
        provider_template = ProviderTemplate(template.content_sid, template.variables)
    channel = rendered.channel
    return OutboundMessage(
        id=message_id,
        channel=channel,
        to=address,
        text=texts["email.txt"] if channel is Channel.EMAIL else texts[channel.value],
        subject=texts.get("email.subject"),
        html=texts.get("email.html"),
        tags={"campaign": str(campaign.id), "wave": wave.name, "test": "1"},
        template=provider_template,
    )
