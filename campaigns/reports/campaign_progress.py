"""How far each campaign has gone: its planned messages, and how many of them are settled
(sent, delivered, failed, skipped, cancelled: no longer waiting). One grouped query for a
whole list of campaigns."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from campaigns.core.models import Message, MessageStatus, Wave

WAITING = (MessageStatus.PENDING, MessageStatus.SENDING)


@dataclass(frozen=True, slots=True)
class Progress:
    planned: int = 0
    settled: int = 0
    sent: int = 0

    @property
    def share(self) -> float | None:
        """The settled share of the planned messages (None before any is planned)."""
        return self.settled / self.planned if self.planned else None


def progress_of(session: Session, campaign_ids: Collection[int]) -> dict[int, Progress]:
    """Progress per campaign id (campaigns with no planned message are left out)."""
    if not campaign_ids:
        return {}
    query = (
        select(
            Wave.campaign_id,
            func.count(Message.id),
            func.count(case((Message.status.not_in(WAITING), Message.id))),
            func.count(Message.sent_at),
        )
        .join(Message, Message.wave_id == Wave.id)
        .where(Wave.campaign_id.in_(campaign_ids))
        .group_by(Wave.campaign_id)
    )
    return {
        campaign_id: Progress(planned, settled, sent)
        for campaign_id, planned, settled, sent in session.execute(query)
    }
