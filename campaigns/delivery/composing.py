"""The one place a message is assembled: text in the student's language, the tracked link,
email's one-click unsubscribe headers, WhatsApp's approved template, and the tags providers
echo back. Sending, previews and test sends all go through ``Composer``, so a test sent to
yourself is the message students receive.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from campaigns.core.models import Campaign, Wave
from campaigns.core.rendering import Renderer, message_context, whatsapp_variables
from campaigns.core.settings import Settings
from campaigns.governance import privacy
from campaigns.tracking.links import message_link, message_token
from channels.base import Channel, OutboundMessage, ProviderTemplate

SAMPLE_MESSAGE_ID: Final = 0
"""The id in the unsubscribe link of a test send: no message has it, so the link opens the
"not found" page instead of unsubscribing anyone."""
SAMPLE_SECRET: Final = "0" * 16


class Composer:
    """Builds ``OutboundMessage``s for one process; holds the compiled templates."""

    def __init__(self, settings: Settings, renderer: Renderer | None = None) -> None:
        self.settings = settings
        self.renderer = renderer or Renderer(settings.templates_dir)

    def context(self, student: object, campaign: Campaign, wave: Wave, link: str) -> dict[str, str]:
        """The template variables for one student (any object with ``Student``'s fields)."""
        return message_context(
            student,
            campaign_name=campaign.name,
            wave_name=wave.name,
            goal_url=campaign.goal_url,
            link=link,
            alumni_office_email=self.settings.alumni_office_email,
        )

    def link(self, campaign: Campaign, message_id: int, secret: str | None) -> str:
        """The student's tracked link; the campaign's goal itself when the campaign does not
        track links, and for a message without a secret (a preview or a test, which have no
        message row to count a click on)."""
        if not privacy.tracks_links(self.settings.link_tracking, campaign):
            secret = None
        return message_link(self.settings, campaign.goal_url, message_id, secret)

    def headers(
        self, channel: Channel, message_id: int, secret: str | None, *, sample: bool = False
    ) -> dict[str, str]:
        """Email's one-click unsubscribe (RFC 8058); with ``sample`` (a test or a preview,
        which have no message row) the link leads to no message."""
        if channel is not Channel.EMAIL or not (secret or sample):
            return {}
        token = message_token(message_id, secret) if secret else _SAMPLE_TOKEN
        return {
            "List-Unsubscribe": f"<{self.settings.public_url}/u/{token}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }

    def compose(
        self,
        *,
        message_id: int,
        channel: Channel,
        to: str,
        student: object,
        language: str,
        campaign: Campaign,
        wave: Wave,
        secret: str | None,
        test: bool = False,
    ) -> OutboundMessage:
        """The message ``student`` gets from ``wave`` on ``channel``, addressed to ``to``;
        ``TemplateRenderError`` when a part cannot be rendered."""
        context = self.context(student, campaign, wave, self.link(campaign, message_id, secret))
        rendered = self.renderer.render(wave.template, channel, language, context)
        tags = {"campaign": str(campaign.id), "wave": wave.name}
        if test:
            tags["test"] = "1"
        return OutboundMessage(
            id=message_id,
            channel=channel,
            to=to,
            text=rendered.text,
            subject=rendered.subject,
            html=rendered.html,
            headers=self.headers(channel, message_id, secret, sample=test),
            tags=tags,
            template=whatsapp_template(channel, wave.options, context),
            commercial=privacy.is_commercial(campaign),
        )


def whatsapp_template(
    channel: Channel, options: Mapping[str, Any], context: Mapping[str, str]
) -> ProviderTemplate | None:
    """The approved template a WhatsApp wave names, with its variables filled in."""
    spec = options.get("whatsapp")
    if channel is not Channel.WHATSAPP or not spec:
        return None
    return ProviderTemplate(spec["content_sid"], whatsapp_variables(context, spec["variables"]))


_SAMPLE_TOKEN: Final = message_token(SAMPLE_MESSAGE_ID, SAMPLE_SECRET)
