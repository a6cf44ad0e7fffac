"""What a student was sent: one entry per wave that planned them, newest campaign last."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from campaigns.core.models import Campaign, Message, MessageStatus, SkipReason, Wave
from channels.base import Channel


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One message row of the student: its outcome and times, never its address."""

    campaign_id: int
    campaign_name: str
    wave: str
    channel: Channel | None
    status: MessageStatus
    skip_reason: SkipReason | None
    error_code: str | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    clicked_at: datetime | None
    click_count: int


def message_history(
    session: Session, student_id: int, visible: ColumnElement[bool] | None = None
) -> list[HistoryEntry]:
    """Every message planned for the student, in campaign and wave order; only those of the
    campaigns matching ``visible`` (what the reader may open), when given."""
    query = (
        select(Message, Wave.name, Campaign.id, Campaign.name)
        .join(Wave, Wave.id == Message.wave_id)
        .join(Campaign, Campaign.id == Wave.campaign_id)
        .where(Message.student_id == student_id, true() if visible is None else visible)
        .order_by(Campaign.id, Wave.position, Message.id)
    )
    return [
        HistoryEntry(
            campaign_id=campaign_id,
            campaign_name=campaign_name,
            wave=wave_name,
            channel=message.channel,
            status=message.status,
            skip_reason=message.skip_reason,
            error_code=message.error_code,
            attempts=message.attempts,
            created_at=message.created_at,
            sent_at=message.sent_at,
            delivered_at=message.delivered_at,
            read_at=message.read_at,
            failed_at=message.failed_at,
            clicked_at=message.clicked_at,
            click_count=message.click_count or 0,
        )
        for message, wave_name, campaign_id, campaign_name in session.execute(query)
    ]
