"""Provider prices that arrive after sending (Twilio's) replace the estimates made then.

At send time a message's cost is the provider's when it says (it rarely does) or an estimate
from the configured tariffs. Twilio sets its price once a message is final: the tick asks for
it, for messages finished a while ago, and keeps the estimate when the provider has none or
charges in another currency.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigns.core.db import Database
from campaigns.core.models import Message, MessageStatus
from campaigns.core.settings import Settings
from campaigns.delivery.adapter_pool import AdapterPool
from channels.base import Capability, Channel

log = logging.getLogger(__name__)


def estimate_cost(settings: Settings, channel: Channel, segments: int | None) -> Decimal:
    """A message's price from the configured tariffs (providers rarely say at once)."""
    if channel is Channel.EMAIL:
        return settings.email_price_per_message
    if channel is Channel.WHATSAPP:
        return settings.whatsapp_price_per_message
    return settings.sms_price_per_segment * (segments or 1)


SETTLED = timedelta(minutes=2)
"""How long after sending a final message is asked for its price."""
GIVE_UP = timedelta(days=2)
"""After this, a message without a provider price keeps its estimate for good."""
FINAL = (MessageStatus.DELIVERED, MessageStatus.READ, MessageStatus.FAILED)


def refresh_costs(
    db: Database, adapters: AdapterPool, settings: Settings, *, now: datetime, limit: int = 500
) -> int:
    """Replace estimates by provider prices for up to ``limit`` messages; how many.

    The provider is asked outside any transaction; the answers are then written in one
    short one, in id order like every bulk writer of messages."""
    pricing = adapters.with_capability(Capability.FETCH_COSTS)
    if not pricing:
        return 0
    with db.session() as session:
        rows = session.execute(
            select(Message.id, Message.provider, Message.provider_message_id)
            .where(
                Message.cost_estimated.is_(True),
                Message.provider.in_(pricing),
                Message.status.in_(FINAL),
                Message.provider_message_id.is_not(None),
                Message.sent_at < now - SETTLED,
                Message.sent_at > now - GIVE_UP,
            )
            .order_by(Message.id)
            .limit(limit)
        ).all()
    changes: dict[int, dict[str, object]] = {}
    for provider, adapter in pricing.items():
        ids = {row.provider_message_id: row.id for row in rows if row.provider == provider}
        for provider_id, (amount, currency) in adapter.fetch_costs(list(ids)).items():
            if currency != settings.cost_currency.upper():
                # Not comparable with the other costs: keep the estimate, stop asking.
                changes[ids[provider_id]] = {"cost_estimated": None}
            else:
                changes[ids[provider_id]] = {"cost": amount, "cost_estimated": False}
    if not changes:
        return 0

    def write(session: Session) -> None:
        for message_id in sorted(changes):
            session.execute(
                update(Message).where(Message.id == message_id).values(changes[message_id])
            )

    db.run(write)
    refreshed = sum(1 for values in changes.values() if "cost" in values)
    if refreshed:
        log.info("provider prices recorded for %d messages", refreshed)
    return refreshed
