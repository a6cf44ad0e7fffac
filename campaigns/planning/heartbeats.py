"""When periodic jobs last ran: the scheduler's tick records itself, so that a launch, the
health check and ``campaign show`` can tell whether anything will pick a campaign up."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from campaigns.core.dialects import upsert
from campaigns.core.models import Heartbeat

SCHEDULER: Final = "scheduler"


def beat(session: Session, name: str, at: datetime, details: dict[str, Any] | None = None) -> None:
    """Record that ``name`` ran at ``at`` (later beats win; an earlier one is ignored)."""
    statement = upsert(session, Heartbeat).values(name=name, at=at, details=details or {})
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["name"],
            set_={"at": statement.excluded.at, "details": statement.excluded.details},
            where=Heartbeat.at < statement.excluded.at,
        )
    )


def last_beat(session: Session, name: str) -> datetime | None:
    """When ``name`` last ran, if ever."""
    found = session.get(Heartbeat, name)
    return found.at if found is not None else None
