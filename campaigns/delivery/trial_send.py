"""Test sends: a wave's message, composed for one student exactly as students get it, sent to
the requesting user's own address through the configured adapter. No campaign message row is
written; the audit log records the send, and its entry id (negated) is the message id
providers see, so a test send never collides with a campaign message.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from campaigns.access import scopes
from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError
from campaigns.core.rendering import DEFAULT_LANGUAGE, TemplateRenderError
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from campaigns.delivery.composing import Composer
from campaigns.delivery.edited_texts import renderer_for
from campaigns.delivery.preview import wave_named
from channels.base import (
    Channel,
    OutboundMessage,
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
    actor: Actor,
    *,
    campaign_id: int,
    wave_name: str,
    student_no: str | None = None,
    channel: Channel | None = None,
) -> TrialMessage:
    """Compose a wave's message for a student within ``actor``'s scope (by default the first
    one of the audience), addressed to ``actor``, and record the test send in the audit log.

    The channel is the wave's first unless one of its other channels is asked for.
    """
    campaign = scopes.get_campaign(session, actor, campaign_id)
    wave = wave_named(campaign, wave_name)
    chosen = channel or Channel(wave.channels[0])
    if chosen.value not in wave.channels:
        raise TrialChannelError(
            f"bu dalga {chosen.value} kanalını kullanmıyor ({', '.join(wave.channels)}) / "
            f"this wave does not use the {chosen.value} channel ({', '.join(wave.channels)})"
        )
    address = actor.email if chosen is Channel.EMAIL else actor.phone
    if not address:
        what = (
            ("e-posta adresiniz", "email address")
            if chosen is Channel.EMAIL
            else (
                "cep telefonunuz",
                "mobile number",
            )
        )
        raise TrialChannelError(
            f"{chosen.value} denemesi için kayıtlı {what[0]} yok / "
            f"you have no {what[1]} on record for a {chosen.value} test"
        )
    student = scopes.chosen_student(session, actor, campaign, student_no)
    entry = audit.record(
        session,
        actor.name,
        audit.CAMPAIGN_TEST_SEND,
        audit.campaign_target(campaign.id),
        {"wave": wave.name, "channel": chosen.value, "student_no": student.student_no},
    )
    # A fresh composer, not the workers' cached templates: a test shows the texts as edited.
    try:
        message = Composer(settings, renderer_for(session, settings)).compose(
            message_id=-entry.id,
            channel=chosen,
            to=address,
            student=student,
            language=student.language or DEFAULT_LANGUAGE,
            campaign=campaign,
            wave=wave,
            secret=None,
            test=True,
        )
    except TemplateRenderError as exc:
        raise TrialRenderError(exc.detail) from exc
    return TrialMessage(
        campaign_id=campaign.id, wave=wave.name, student_no=student.student_no, message=message
    )


def send_trial(adapters: AdapterPool, trial: TrialMessage) -> TrialResult:
    """Hand a prepared test message to the channel's adapter; ``DeliveryError`` if it is
    refused (``ConfigurationError`` if the adapter cannot run)."""
    message = trial.message
    provider, accepted = adapters.send_one(message)
    return TrialResult(
        campaign_id=trial.campaign_id,
        wave=trial.wave,
        channel=message.channel,
        student_no=trial.student_no,
        to=message.to,
        audit_id=-message.id,
        provider=provider,
        provider_message_id=accepted.provider_message_id,
    )
