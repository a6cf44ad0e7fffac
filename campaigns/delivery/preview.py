"""What one student would receive from a wave: every part of every channel, rendered."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.access import scopes
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError, NotFoundError
from campaigns.core.models import Campaign, Student, Wave
from campaigns.core.rendering import (
    DEFAULT_LANGUAGE,
    PARTS,
    Renderer,
    TemplateRenderError,
    whatsapp_variables,
)
from campaigns.core.settings import Settings
from campaigns.delivery.composing import SAMPLE_MESSAGE_ID, Composer
from campaigns.delivery.edited_texts import renderer_for
from channels.base import Channel
from channels.gsm import SmsInfo, sms_info

_BAD_OPTIONS = (
    "options.whatsapp geçersiz / invalid; beklenen / expected: "
    '{"content_sid": "HX…", "variables": {"1": "first_name", "2": "link"}}'
)


@dataclass(frozen=True, slots=True)
class PartPreview:
    """One rendered part; ``source`` is the file used (it shows a language fallback)."""

    part: str
    source: str | None
    text: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class WhatsAppTemplatePreview:
    """The approved WhatsApp template a wave names and its placeholders, filled in."""

    content_sid: str | None
    variables: dict[str, str]
    error: str | None = None


@dataclass(frozen=True, slots=True)
class ChannelPreview:
    """The parts of one channel; SMS and WhatsApp texts also tell their SMS encoding."""

    channel: Channel
    parts: tuple[PartPreview, ...]
    sms: SmsInfo | None = None
    whatsapp_template: WhatsAppTemplatePreview | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class WavePreview:
    """A wave's messages as one student would get them."""

    campaign_id: int
    campaign_name: str
    wave_name: str
    template: str
    student_no: str
    full_name: str
    language: str
    link: str
    channels: tuple[ChannelPreview, ...]

    @property
    def errors(self) -> list[str]:
        """Every problem found, each prefixed with the channel and part it belongs to."""
        found = [
            f"{channel.channel.value} · {part.part}: {part.error}"
            for channel in self.channels
            for part in channel.parts
            if part.error
        ]
        found += [
            f"{channel.channel.value} · content_sid: {channel.whatsapp_template.error}"
            for channel in self.channels
            if channel.whatsapp_template and channel.whatsapp_template.error
        ]
        return found


def preview_for(
    session: Session,
    settings: Settings,
    actor: Actor,
    *,
    campaign_id: int,
    wave_name: str,
    student_no: str | None = None,
) -> WavePreview:
    """``preview_wave`` for a campaign and a student ``actor`` may see (by default the first
    student of the audience); anything else is "not found"."""
    campaign = scopes.get_campaign(session, actor, campaign_id)
    student = scopes.chosen_student(session, actor, campaign, student_no)
    return preview_wave(
        session,
        settings,
        campaign_id=campaign.id,
        wave_name=wave_name,
        student_no=student.student_no,
    )


def wave_named(campaign: Campaign, name: str) -> Wave:
    """The campaign's wave called ``name``; ``NotFoundError`` naming the waves it has."""
    wave = next((w for w in campaign.waves if w.name == name), None)
    if wave is None:
        names = ", ".join(w.name for w in campaign.waves) or "—"
        raise NotFoundError(
            f"dalga bulunamadı / wave not found: {name!r}; "
            f"bu kampanyanın dalgaları / this campaign's waves: {names}"
        )
    return wave


def preview_wave(
    session: Session, settings: Settings, *, campaign_id: int, wave_name: str, student_no: str
) -> WavePreview:
    """Render every part of every channel of a wave for one student, in their language.

    A part that cannot be rendered carries its error instead of text; nothing is sent and
    nothing is written.
    """
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"kampanya bulunamadı / campaign not found: {campaign_id}")
    wave = wave_named(campaign, wave_name)
    student = session.scalars(select(Student).where(Student.student_no == student_no)).first()
    if student is None:
        raise NotFoundError(f"öğrenci bulunamadı / student not found: {student_no}")

    # A fresh composer, not the workers' cached templates: a preview shows the texts as
    # edited (files and versions saved in the web app).
    composer = Composer(settings, renderer_for(session, settings))
    # Tracked links exist once a wave's messages are planned: a preview links to the goal.
    link = composer.link(campaign, SAMPLE_MESSAGE_ID, None)
    context = composer.context(student, campaign, wave, link)
    language = student.language or DEFAULT_LANGUAGE
    channels = tuple(
        _channel_preview(composer, wave, channel, language, context) for channel in _channels(wave)
    )
    return WavePreview(
        campaign_id=campaign.id,
        campaign_name=campaign.name,
        wave_name=wave.name,
        template=wave.template,
        student_no=student.student_no,
        full_name=student.full_name,
        language=language,
        link=link,
        channels=channels,
    )


def _channels(wave: Wave) -> list[Channel]:
    try:
        return [Channel(value) for value in wave.channels]
    except ValueError as exc:
        raise CampaignsError(
            f"dalgada bilinmeyen kanal / unknown channel in wave {wave.name!r}: {exc}"
        ) from exc


def _channel_preview(
    composer: Composer, wave: Wave, channel: Channel, language: str, context: dict[str, str]
) -> ChannelPreview:
    renderer = composer.renderer
    parts = tuple(
        _part_preview(renderer, wave.template, part, language, context) for part in PARTS[channel]
    )
    if channel is Channel.EMAIL:
        headers = composer.headers(channel, SAMPLE_MESSAGE_ID, None, sample=True)
        return ChannelPreview(channel, parts, headers=headers)
    text = parts[0].text
    whatsapp = None
    if channel is Channel.WHATSAPP:
        whatsapp = _whatsapp_template(wave.options or {}, context)
    return ChannelPreview(
        channel, parts, sms=None if text is None else sms_info(text), whatsapp_template=whatsapp
    )


def _part_preview(
    renderer: Renderer, template: str, part: str, language: str, context: dict[str, str]
) -> PartPreview:
    source = None
    try:
        source = renderer.source_name(template, part, language)
        return PartPreview(part, source, renderer.render_part(template, part, language, context))
    except TemplateRenderError as exc:
        return PartPreview(part, source, None, exc.detail)


def _whatsapp_template(
    options: Mapping[str, Any], context: dict[str, str]
) -> WhatsAppTemplatePreview | None:
    spec = options.get("whatsapp")
    if spec is None:
        return None
    if not isinstance(spec, Mapping):
        return WhatsAppTemplatePreview(None, {}, _BAD_OPTIONS)
    content_sid = spec.get("content_sid")
    mapping = spec.get("variables") or {}
    if not isinstance(content_sid, str) or not content_sid:
        return WhatsAppTemplatePreview(
            None, {}, "content_sid eksik / content_sid is missing in options.whatsapp"
        )
    if not isinstance(mapping, Mapping) or not all(isinstance(v, str) for v in mapping.values()):
        return WhatsAppTemplatePreview(content_sid, {}, _BAD_OPTIONS)
    try:
        variables = whatsapp_variables(context, {str(k): v for k, v in mapping.items()})
    except TemplateRenderError as exc:
        return WhatsAppTemplatePreview(content_sid, {}, exc.detail)
    return WhatsAppTemplatePreview(content_sid, variables)
