"""How sending has gone lately, per provider: messages accepted, delivered, failed and with
an unknown outcome in the last day, and how many wait to be sent now. What an administrator
looks at when something seems wrong."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from campaigns.core.models import Message, MessageStatus

WINDOW = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    provider: str
    sent: int
    delivered: int
    failed: int
    unknown: int

    @property
    def failure_rate(self) -> float | None:
        return self.failed / self.sent if self.sent else None


@dataclass(frozen=True, slots=True)
class DeliveryHealth:
    providers: list[ProviderHealth]
    waiting: int


def delivery_health(session: Session, now: datetime) -> DeliveryHealth:
    """Per provider, the messages sent since ``now`` minus a day; and the queue's length."""

    def where(status: MessageStatus | tuple[MessageStatus, ...]) -> ColumnElement[int]:
        statuses = status if isinstance(status, tuple) else (status,)
        return func.count(case((Message.status.in_(statuses), Message.id)))

    query = (
        select(
            Message.provider,
            func.count(Message.id),
            where((MessageStatus.DELIVERED, MessageStatus.READ)),
            where(MessageStatus.FAILED),
            where(MessageStatus.UNKNOWN),
        )
        .where(Message.sent_at >= now - WINDOW, Message.provider.is_not(None))
        .group_by(Message.provider)
        .order_by(Message.provider)
    )
    providers = [
        ProviderHealth(provider or "", sent, delivered, failed, unknown)
        for provider, sent, delivered, failed, unknown in session.execute(query)
    ]
    waiting = session.scalar(
        select(func.count())
        .select_from(Message)
        .where(Message.status.in_((MessageStatus.PENDING, MessageStatus.SENDING)))
    )
    return DeliveryHealth(providers, waiting or 0)
