"""Privacy switches: whether a campaign's links count clicks, and whether its messages are
commercial. Opens are never tracked (no pixel, providers' open and click tracking off).

Link tracking is on unless the installation (``CAMPAIGNS_LINK_TRACKING=false``) or the
campaign (``link_tracking = false``) turns it off; then every message links straight to the
alumni system and reports say clicks are not measured. A campaign declares its messages
``informational`` (the default) or ``commercial``; commercial ones go only to students whose
commercial consent is recorded in İYS, and the SMS operator is asked to check İYS too.
"""

from __future__ import annotations

from campaigns.core.models import Campaign, MessageType

NOT_MEASURED = "ölçülmüyor / not measured"


def tracks_links(installation: bool, campaign: Campaign) -> bool:
    """Whether the campaign's messages carry the service's counting link (``installation``:
    the settings' ``link_tracking`` switch)."""
    return installation and bool(campaign.definition.get("link_tracking", True))


def message_type(campaign: Campaign) -> MessageType:
    return MessageType(campaign.definition.get("message_type", MessageType.INFORMATIONAL))


def is_commercial(campaign: Campaign) -> bool:
    return message_type(campaign) is MessageType.COMMERCIAL
