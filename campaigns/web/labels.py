"""Words for the product's codes (statuses, channels, stages, reasons) as pages show them;
marked here for the catalogs and translated when a page is rendered."""

from __future__ import annotations

from typing import Final

from campaigns.core.models import (
    CampaignStatus,
    ConversionStage,
    MessageStatus,
    Role,
    SkipReason,
    WaveStatus,
)
from campaigns.reports.funnel import Dimension
from channels.base import Channel


def _(text: str) -> str:
    """Marks ``text`` for the message catalogs; pages translate it when they show it."""
    return text


STATUS: Final = {
    MessageStatus.SKIPPED: _("not sent"),
    MessageStatus.PENDING: _("waiting"),
    MessageStatus.SENDING: _("being sent"),
    MessageStatus.SENT: _("sent"),
    MessageStatus.DELIVERED: _("delivered"),
    MessageStatus.READ: _("read"),
    MessageStatus.FAILED: _("failed"),
    MessageStatus.UNKNOWN: _("outcome unknown"),
    MessageStatus.CANCELLED: _("cancelled"),
}
SKIP: Final = {
    SkipReason.NO_CONSENT: _("no consent to contact"),
    SkipReason.UNREACHABLE: _("no address for the wave's channels"),
    SkipReason.CONVERTED: _("had already registered"),
    SkipReason.SUPPRESSED: _("opted out or address blocked"),
    SkipReason.NOT_YET: _("had not reached the wave's stage yet"),
    SkipReason.CAPPED: _("had all the messages the frequency caps allow"),
    SkipReason.NO_COMMERCIAL_CONSENT: _("no commercial consent recorded in İYS"),
}
CHANNEL: Final = {
    Channel.EMAIL: _("Email"),
    Channel.SMS: _("SMS"),
    Channel.WHATSAPP: _("WhatsApp"),
}
STAGE: Final = {
    ConversionStage.REGISTERED: _("Registered in the alumni system"),
    ConversionStage.FORM_SUBMITTED: _("Membership form handed in"),
}
CAMPAIGN_STATUS: Final = {
    CampaignStatus.DRAFT: _("draft"),
    CampaignStatus.ACTIVE: _("sending"),
    CampaignStatus.PAUSED: _("paused"),
    CampaignStatus.CANCELLED: _("cancelled"),
    CampaignStatus.COMPLETED: _("completed"),
}
WAVE_STATUS: Final = {
    WaveStatus.WAITING: _("waiting"),
    WaveStatus.SENDING: _("sending"),
    WaveStatus.DONE: _("done"),
    WaveStatus.CANCELLED: _("cancelled"),
}
DIMENSION: Final = {
    Dimension.wave: _("Wave"),
    Dimension.channel: _("Channel"),
    Dimension.faculty: _("Faculty"),
    Dimension.department: _("Department"),
    Dimension.advisor: _("Advisor"),
}
REPORT_COLUMN: Final = {
    "audience": _("Audience"),
    "reached": _("Reached"),
    "sent": _("Sent"),
    "delivered": _("Delivered"),
    "failed": _("Failed"),
    "capped": _("Held by the caps"),
    "clicked": _("Clicked"),
    "converted": _("Registered"),
    "form_submitted": _("Form handed in"),
    "conversion_rate": _("Registration rate"),
    "median_hours_to_convert": _("Median hours to register"),
    "cost": _("Cost"),
}
AUDIENCE: Final = {
    "graduation_terms": _("Graduation terms"),
    "faculties": _("Faculties"),
    "departments": _("Departments"),
    "degrees": _("Degrees"),
}
WHO: Final = {
    "everyone": _("everyone in the audience"),
    "unregistered": _("only those not registered yet"),
    "form_missing": _("registered, membership form not handed in"),
}
ROLE: Final = {
    Role.ADMIN: _("administrator (alumni office)"),
    Role.COORDINATOR: _("faculty coordinator"),
    Role.ADVISOR: _("advisor"),
    Role.DESK: _("Student Affairs desk"),
}
REPLY_STATE: Final = {
    "new": _("New"),
    "assigned": _("Assigned"),
    "done": _("Done"),
}
