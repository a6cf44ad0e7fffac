"""The audit log: who changed what, when, written in the same transaction as the change.

Details hold counts and identifiers, never students' personal data (names, addresses).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigns.core.models import AuditEntry, utcnow

MAX_LIMIT: Final = 1000

STUDENTS_IMPORT: Final = "students.import"
STUDENTS_PURGE: Final = "students.purge"
CAMPAIGN_CREATE: Final = "campaign.create"
CAMPAIGN_LAUNCH: Final = "campaign.launch"
CAMPAIGN_PAUSE: Final = "campaign.pause"
CAMPAIGN_RESUME: Final = "campaign.resume"
CAMPAIGN_CANCEL: Final = "campaign.cancel"
CAMPAIGN_TEST_SEND: Final = "campaign.test_send"
CAMPAIGN_SUBMIT: Final = "campaign.submit"
CAMPAIGN_APPROVE: Final = "campaign.approve"
CAMPAIGN_RETURN: Final = "campaign.return"
MESSAGES_REQUEUE: Final = "messages.requeue"
USER_ADD: Final = "user.add"
USER_REVOKE: Final = "user.revoke"
USER_CHANGE: Final = "user.change"
USER_REISSUE: Final = "user.token"
SUPPRESSION_ADD: Final = "suppression.add"
SUPPRESSION_REMOVE: Final = "suppression.remove"
CALENDAR_CLOSE: Final = "calendar.close"
CALENDAR_REOPEN: Final = "calendar.reopen"


def campaign_target(campaign_id: int) -> str:
    return f"campaign:{campaign_id}"


def fingerprint(value: str, key: str | None) -> dict[str, str]:
    """A stand-in for an address, so an entry can be matched to a known address later
    without the log holding it: a keyed HMAC (``CAMPAIGNS_SECRET_KEY``), which nobody without
    the key can reverse by trying every phone number. Without a key: nothing."""
    if not key:
        return {}
    digest = hmac.new(key.encode(), value.strip().lower().encode(), hashlib.sha256)
    return {"address": digest.hexdigest()}


def record(
    session: Session,
    actor: str,
    action: str,
    target: str | None = None,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Add an entry to the caller's transaction (committed, or rolled back, with the change)."""
    entry = AuditEntry(
        at=utcnow(),
        actor=actor[:320],
        action=action[:60],
        target=None if target is None else target[:200],
        details=dict(details or {}),
    )
    session.add(entry)
    session.flush()
    return entry


def entries(
    session: Session,
    *,
    limit: int = 100,
    offset: int = 0,
    actor: str | None = None,
    action: str | None = None,
    target: str | None = None,
) -> Sequence[AuditEntry]:
    """The newest entries first, optionally only one actor's, action's or target's."""
    query = select(AuditEntry)
    if actor is not None:
        query = query.where(AuditEntry.actor == actor)
    if action is not None:
        query = query.where(AuditEntry.action == action)
    if target is not None:
        query = query.where(AuditEntry.target == target)
    query = query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    return session.scalars(query.offset(offset).limit(min(limit, MAX_LIMIT))).all()


def actions(session: Session) -> list[str]:
    """The actions the log holds, to filter by."""
    found = session.scalars(select(AuditEntry.action).distinct().order_by(AuditEntry.action))
    return list(found)
