"""Delivery tracking: store provider events once and move messages forward, never back.

Events arrive late, twice, and out of order. Each is stored once (its dedupe key: the
provider's event id, or message + status when the provider has none) with its raw payload;
only newly stored events change a message, and a message's status only climbs:
``sent < failed < delivered < read``. A failure reported after delivery is recorded (time
and code) without erasing the delivery. Bounces, complaints and unsubscribes suppress the
address for later waves and campaigns.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast, overload

from sqlalchemy import Row, String, bindparam, or_, select, text, update
from sqlalchemy.orm import Session

from campaigns.core import metrics
from campaigns.core.db import among
from campaigns.core.dialects import upsert
from campaigns.core.models import DeliveryEvent as StoredEvent
from campaigns.core.models import Message, MessageStatus, utcnow
from campaigns.tracking.suppressions import lift, suppress
from channels.base import Channel, DeliveryEvent, EventType

log = logging.getLogger(__name__)

RANK = {
    MessageStatus.PENDING: 0,
    MessageStatus.SENDING: 1,
    MessageStatus.UNKNOWN: 1,
    MessageStatus.SENT: 2,
    MessageStatus.FAILED: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.READ: 5,
}
TARGET = {
    EventType.ACCEPTED: MessageStatus.SENT,
    EventType.SENT: MessageStatus.SENT,
    EventType.DELIVERED: MessageStatus.DELIVERED,
    EventType.READ: MessageStatus.READ,
    EventType.OPENED: MessageStatus.READ,
    EventType.CLICKED: MessageStatus.READ,
    EventType.BOUNCED: MessageStatus.FAILED,
    EventType.UNDELIVERED: MessageStatus.FAILED,
    EventType.FAILED: MessageStatus.FAILED,
}
SUPPRESSING = {
    EventType.BOUNCED: "bounce",
    EventType.COMPLAINED: "complaint",
    EventType.UNSUBSCRIBED: "unsubscribe",
}


@dataclass(slots=True)
class TrackingResult:
    stored: int = 0
    duplicates: int = 0
    unmatched: int = 0


def dedupe_key(event: DeliveryEvent) -> str:
    """The provider's event id, or the message and status (one callback per status)."""
    if event.event_id:
        return storable(f"{event.provider}:event:{event.event_id}", 200)
    subject = event.provider_message_id or f"m{event.message_id}"
    return storable(f"{event.provider}:{subject}:{event.type.value}", 200)


def by_dedupe_key(events: Iterable[DeliveryEvent]) -> dict[str, DeliveryEvent]:
    """Each event once: the first of those sharing a dedupe key."""
    unique: dict[str, DeliveryEvent] = {}
    for event in events:
        unique.setdefault(dedupe_key(event), event)
    return unique


def observe_lags(events: Iterable[DeliveryEvent], now: datetime) -> None:
    """Each event's lag in the histogram, its provider's child looked up once per batch
    (the label lookup, not the observation, is what costs on a post of 500 events)."""
    lags: dict[str, list[float]] = defaultdict(list)
    for event in events:
        lags[event.provider].append(max(0.0, (now - event.occurred_at).total_seconds()))
    for provider, values in lags.items():
        histogram = metrics.EVENT_LAG_SECONDS.labels(provider)
        for value in values:
            histogram.observe(value)


def record_events(session: Session, events: Sequence[DeliveryEvent]) -> TrackingResult:
    """Store new events and apply them to their messages, in the caller's transaction."""
    unique = by_dedupe_key(events)
    result = TrackingResult(duplicates=len(events) - len(unique))
    if not unique:
        return result

    now = utcnow()
    observe_lags(unique.values(), now)
    if session.get_bind().dialect.name == "postgresql":
        return record_in_one_statement(session, unique, now, result)
    return record_portably(session, unique, now, result)


def record_portably(
    session: Session, unique: dict[str, DeliveryEvent], now: datetime, result: TrackingResult
) -> TrackingResult:
    """Events by dedupe key, matched (by our id, or the provider's id and recipient), stored
    and applied with the rules of ``_advance`` (SQLite). On PostgreSQL it must leave the
    rows ``record_in_one_statement`` leaves (a test compares)."""
    messages = _lock_messages(session, list(unique.values()))
    matched = {key: _match(event, messages) for key, event in unique.items()}
    rows = _rows(unique, matched, now)
    stored_keys = _insert_new(session, rows)
    result.stored = len(stored_keys)
    result.duplicates += len(unique) - len(stored_keys)

    fresh = [(matched[k], e) for k, e in unique.items() if k in stored_keys]
    result.unmatched = sum(1 for message_id, _ in fresh if message_id is None)
    _apply(session, messages, [(m, e) for m, e in fresh if m is not None])
    _suppress(session, [e for _, e in fresh])
    return result


def _rows(
    unique: dict[str, DeliveryEvent], message_ids: dict[str, int | None], now: datetime
) -> list[dict[str, Any]]:
    """The stored form of events (``message_ids``: ours, by dedupe key, None if unknown),
    sorted by dedupe key so that concurrent inserts take their locks in one order.

    Whatever a provider sent fits the columns: text is cut to the column's size and NUL
    characters (which PostgreSQL cannot store) are replaced, so one odd event never fails
    the batch it arrived in."""
    return [
        {
            "message_id": message_ids[key],
            "provider": storable(event.provider, 40),
            "type": event.type.value,
            "dedupe_key": key,
            "provider_message_id": storable(event.provider_message_id, 100),
            "error_code": storable(event.error_code, 40),
            "description": storable(event.description, 2000),
            "occurred_at": event.occurred_at,
            "received_at": now,
            "raw": storable_json(dict(event.raw)),
        }
        for key, event in sorted(unique.items())
    ]


@overload
def storable(value: str, limit: int) -> str: ...
@overload
def storable(value: str | None, limit: int) -> str | None: ...
def storable(value: str | None, limit: int) -> str | None:
    """Text as a column can hold it: NUL replaced, at most ``limit`` characters."""
    if value is None:
        return None
    return value.replace("\x00", "\ufffd")[:limit]


def storable_json(value: Any) -> Any:
    """A JSON document without NUL characters in its keys and strings. Nearly every payload
    has none, which one encoding (in C) tells far faster than walking it in Python: this runs
    for every status callback."""
    try:
        if "\\u0000" not in json.dumps(value, default=str):
            return value
    except (TypeError, ValueError):
        pass  # what cannot be encoded as it is gets walked and cleaned
    return _without_nul(value)


def _without_nul(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, Mapping):
        return {_without_nul(str(k)): _without_nul(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_without_nul(v) for v in value]
    return value


def record_in_one_statement(
    session: Session, unique: dict[str, DeliveryEvent], now: datetime, result: TrackingResult
) -> TrackingResult:
    """PostgreSQL: match, store and apply in one statement.

    The busiest path (a status callback per message, which names our message) then costs
    one round trip; events without our id are matched by the provider's id first. The
    status rules are the same as ``_advance``'s, written as SQL from the same tables. Locks
    are taken in one order everywhere (messages by id, then events by dedupe key: the sorted
    join must read every locked row before the first insert), so concurrent batches over
    the same messages wait for each other and never deadlock; the ``UPDATE`` then applies
    on the newest row, so statuses still only move forward.
    """
    rows = _rows(unique, _our_ids(session, unique), now)
    stored = session.execute(_RECORD_AND_APPLY, {"rows": json.dumps(rows, default=str)}).all()
    result.stored = len(stored)
    result.duplicates += len(unique) - len(stored)
    result.unmatched = sum(1 for row in stored if row.message_id is None)
    fresh = {row.dedupe_key for row in stored}
    _suppress(session, [e for k, e in unique.items() if k in fresh])
    return result


def _our_ids(session: Session, unique: dict[str, DeliveryEvent]) -> dict[str, int | None]:
    """Our message id for each event: the one it names, else the one found by the
    provider's id and recipient (read without a lock: a message's provider id, once
    recorded, never changes; the statement then locks the message as for any event)."""
    ids = {key: event.message_id for key, event in unique.items()}
    wanted = {e.provider_message_id for e in unique.values() if e.message_id is None}
    wanted.discard(None)
    if not wanted:
        return ids
    candidates = session.execute(
        select(*_STATE).where(among(session, Message.provider_message_id, wanted, String()))
    )
    messages = {row.id: cast(Row[Any], row) for row in candidates}
    for key, event in unique.items():
        if event.message_id is None:
            ids[key] = _match(event, messages)
    return ids


def _cases(column: str, mapping: Mapping[str | int, Any], default: str = "NULL") -> str:
    """``CASE column WHEN key THEN value … END``: text keys quoted, numbers as they are."""
    whens = " ".join(f"WHEN {_literal(key)} THEN {value}" for key, value in mapping.items())
    return f"CASE {column} {whens} ELSE {default} END"


def _literal(key: str | int) -> str:
    # Keys are this module's own enum values and ranks, never input.
    return str(key) if isinstance(key, int) else f"'{key}'"


def _types(target: MessageStatus | tuple[MessageStatus, ...]) -> str:
    targets = target if isinstance(target, tuple) else (target,)
    return ", ".join(f"'{t.value}'" for t, s in TARGET.items() if s in targets)


_STATUS_RANK = _cases("m.status", {s.value: r for s, r in RANK.items()})
_EVENT_RANK = _cases("type", {t.value: RANK[s] for t, s in TARGET.items()})
_STATUS_OF_RANK = _cases("agg.top", {RANK[s]: f"'{s.value}'" for s in set(TARGET.values())})
_FAILED = _types(MessageStatus.FAILED)
_RECORD_AND_APPLY = text(
    f"""
    WITH v AS (
        SELECT * FROM jsonb_to_recordset(CAST(:rows AS jsonb)) AS v(message_id bigint,
            provider text, type text, dedupe_key text, provider_message_id text,
            error_code text, description text, occurred_at timestamptz,
            received_at timestamptz, raw jsonb)
    ),
    locked AS (
        SELECT id FROM messages WHERE id IN (SELECT message_id FROM v)
        ORDER BY id FOR UPDATE
    ),
    ins AS (
        INSERT INTO delivery_events (message_id, provider, type, dedupe_key,
            provider_message_id, error_code, description, occurred_at, received_at, raw)
        SELECT m.id, v.provider, v.type, v.dedupe_key, v.provider_message_id, v.error_code,
            v.description, v.occurred_at, v.received_at, v.raw
        FROM v LEFT JOIN locked m ON m.id = v.message_id
        ORDER BY v.dedupe_key
        ON CONFLICT (dedupe_key) DO NOTHING
        RETURNING dedupe_key, message_id, type, occurred_at, error_code, description
    ),
    agg AS (
        SELECT message_id, max({_EVENT_RANK}) AS top,
            min(occurred_at) FILTER (WHERE type IN ({_types(MessageStatus.SENT)})) AS sent_at,
            min(occurred_at) FILTER (WHERE type IN
                ({_types((MessageStatus.DELIVERED, MessageStatus.READ))})) AS delivered_at,
            min(occurred_at) FILTER (WHERE type IN ({_types(MessageStatus.READ)})) AS read_at,
            min(occurred_at) FILTER (WHERE type IN ({_FAILED})) AS failed_at,
            (array_agg(coalesce(error_code, type) ORDER BY occurred_at DESC)
                FILTER (WHERE type IN ({_FAILED})))[1] AS error_code,
            (array_agg(nullif(left(description, 2000), '') ORDER BY occurred_at DESC)
                FILTER (WHERE type IN ({_FAILED})))[1] AS error_message,
            bool_or(type IN ({_FAILED})) AS failed
        FROM ins WHERE message_id IS NOT NULL GROUP BY message_id
    ),
    upd AS (
        UPDATE messages m SET
            status = CASE WHEN agg.top > {_STATUS_RANK} THEN {_STATUS_OF_RANK}
                ELSE m.status END,
            sent_at = coalesce(m.sent_at, agg.sent_at),
            delivered_at = coalesce(m.delivered_at, agg.delivered_at),
            read_at = coalesce(m.read_at, agg.read_at),
            failed_at = coalesce(m.failed_at, agg.failed_at),
            error_code = CASE WHEN agg.failed THEN agg.error_code ELSE m.error_code END,
            error_message = CASE WHEN agg.failed THEN agg.error_message
                ELSE m.error_message END
        FROM agg WHERE m.id = agg.message_id AND agg.top IS NOT NULL
        RETURNING m.id
    )
    SELECT dedupe_key, message_id FROM ins
    """
)


def _insert_new(session: Session, rows: list[dict[str, Any]]) -> set[str]:
    """Insert the events not stored yet; the dedupe keys of those inserted."""
    statement = (
        upsert(session, StoredEvent)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(StoredEvent.dedupe_key)
    )
    return set(session.scalars(statement, rows))


def _lock_messages(session: Session, events: list[DeliveryEvent]) -> dict[int, Row[Any]]:
    """The messages the events may be about, locked (in id order, so that concurrent
    batches never deadlock) until the transaction ends: two batches about one message
    apply one after the other, and a status can never move back."""
    ids = {e.message_id for e in events if e.message_id is not None}
    provider_ids = {e.provider_message_id for e in events if e.message_id is None}
    provider_ids.discard(None)
    conditions = []
    if ids:
        conditions.append(among(session, Message.id, ids))
    if provider_ids:
        conditions.append(among(session, Message.provider_message_id, provider_ids, String()))
    if not conditions:
        return {}
    rows = session.execute(
        select(*_STATE).where(or_(*conditions)).order_by(Message.id).with_for_update()
    )
    return {row.id: cast(Row[Any], row) for row in rows}


_STATE = (
    Message.id,
    Message.provider_message_id,
    Message.address,
    Message.status,
    Message.sent_at,
    Message.delivered_at,
    Message.read_at,
    Message.failed_at,
    Message.error_code,
    Message.error_message,
)


def _match(event: DeliveryEvent, messages: dict[int, Row[Any]]) -> int | None:
    """Our message id for an event: the id the provider echoed back (when it exists), or
    the provider's message id plus the recipient (SendGrid shares one id per request)."""
    if event.message_id is not None:
        return event.message_id if event.message_id in messages else None
    if event.provider_message_id is None:
        return None
    candidates = [
        m for m in messages.values() if m.provider_message_id == event.provider_message_id
    ]
    if len(candidates) > 1 and event.recipient:
        wanted = event.recipient.strip().lower()
        candidates = [m for m in candidates if (m.address or "").lower() == wanted]
    return candidates[0].id if len(candidates) == 1 else None


def _apply(
    session: Session, messages: dict[int, Row[Any]], events: list[tuple[int, DeliveryEvent]]
) -> None:
    by_message: dict[int, list[DeliveryEvent]] = defaultdict(list)
    for message_id, event in events:
        by_message[message_id].append(event)
    changes = []
    for message_id, message_events in by_message.items():
        row = messages[message_id]
        state = {
            k: v for k, v in row._asdict().items() if k not in ("provider_message_id", "address")
        }
        values = _advance(state, sorted(message_events, key=lambda e: e.occurred_at))
        if values is not None:
            changes.append({"b_id": message_id, **values})
    if changes:
        session.execute(_UPDATE, changes)


def _advance(row: dict[str, Any], events: Iterable[DeliveryEvent]) -> dict[str, Any] | None:
    """The message's new status and timestamps after ``events``; None when nothing changes."""
    state = dict(row)
    for event in events:
        at = event.occurred_at
        target = TARGET.get(event.type)
        if target is MessageStatus.SENT:
            state["sent_at"] = state["sent_at"] or at
        elif target is MessageStatus.DELIVERED:
            state["delivered_at"] = state["delivered_at"] or at
        elif target is MessageStatus.READ:
            state["delivered_at"] = state["delivered_at"] or at
            state["read_at"] = state["read_at"] or at
        elif target is MessageStatus.FAILED:
            state["failed_at"] = state["failed_at"] or at
            state["error_code"] = event.error_code or event.type.value
            state["error_message"] = (event.description or "")[:2000] or None
        status = state["status"]
        if target is not None and status in RANK and RANK[target] > RANK[status]:
            state["status"] = target
    if state == row:
        return None
    return {f"b_{k}": v for k, v in state.items() if k != "id"}


_UPDATE = (
    update(Message.__table__)  # type: ignore[arg-type]
    .where(Message.__table__.c.id == bindparam("b_id"))
    .values(
        status=bindparam("b_status"),
        sent_at=bindparam("b_sent_at"),
        delivered_at=bindparam("b_delivered_at"),
        read_at=bindparam("b_read_at"),
        failed_at=bindparam("b_failed_at"),
        error_code=bindparam("b_error_code"),
        error_message=bindparam("b_error_message"),
    )
)


def _suppress(session: Session, events: Iterable[DeliveryEvent]) -> None:
    # In address order, like every writer of suppressions: concurrent inserts never deadlock.
    for event in sorted(events, key=lambda e: e.recipient or ""):
        if not event.recipient:
            continue
        reason = SUPPRESSING.get(event.type)
        if reason is not None:
            suppress(session, Channel.EMAIL, event.recipient, reason=reason, source=event.provider)
        elif event.type is EventType.RESUBSCRIBED:
            lift(session, Channel.EMAIL, event.recipient, reasons={"unsubscribe"})
