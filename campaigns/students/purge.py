"""Personal data purge (KVKK): students of earlier graduation terms become anonymous.

Names become "—"; email addresses and phone numbers go; the students can no longer be
contacted. Their messages lose the address they were sent to, their delivery events the
provider's payload and description (which name the recipient). Whatever else holds their
addresses goes too: suppressions (unless a student who stays shares the address), the
messages they sent us, and provider events that matched no message but name them. Every row
stays, with its status, times, channel, cost and conversion, so campaign reports keep their
numbers.

Terms are compared as ``students.terms`` reads them (academic year, then Güz < Bahar < Yaz).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, TypeVar, cast

from sqlalchemy import ColumnElement, CursorResult, Update, and_, delete, func, select, update
from sqlalchemy.orm import Session

from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.db import lock_in_order
from campaigns.core.models import (
    DeliveryEvent,
    InboundMessage,
    Message,
    ReplyAttachment,
    Student,
    Suppression,
)
from campaigns.students.terms import InvalidTermError, Term, parse_term
from channels.base import Channel

T = TypeVar("T")

PURGED_NAME: Final = "—"


@dataclass(frozen=True, slots=True)
class PurgePlan:
    """What a purge would do: students not yet purged per earlier term, and stored terms
    that cannot be read (left alone)."""

    before: Term
    terms: dict[str, int]
    unreadable: list[str]

    @property
    def students(self) -> int:
        return sum(self.terms.values())


@dataclass(frozen=True, slots=True)
class PurgeResult:
    """What a purge changed."""

    before: Term
    terms: list[str]
    students: int
    messages: int
    delivery_events: int


def purge(session: Session, actor: Actor, graduated_before: str, *, now: datetime) -> PurgeResult:
    """``purge_students`` for ``actor``, audited with what went (counts, never data)."""
    result = purge_students(session, graduated_before, now=now)
    audit.record(
        session,
        actor.name,
        audit.STUDENTS_PURGE,
        f"before:{result.before}",
        {
            "terms": result.terms,
            "students": result.students,
            "messages": result.messages,
            "delivery_events": result.delivery_events,
        },
    )
    return result


def plan_purge(session: Session, graduated_before: str) -> PurgePlan:
    """The students of terms before ``graduated_before`` whose data is still held."""
    before = parse_term(graduated_before)
    rows = session.execute(
        select(Student.graduation_term, func.count())
        .where(Student.purged_at.is_(None))
        .group_by(Student.graduation_term)
        .order_by(Student.graduation_term)
    )
    terms: dict[str, int] = {}
    unreadable: list[str] = []
    for stored, count in rows:
        try:
            term = parse_term(stored)
        except InvalidTermError:
            unreadable.append(stored)
            continue
        if term < before:
            terms[stored] = count
    ordered = dict(sorted(terms.items(), key=lambda item: parse_term(item[0])))
    return PurgePlan(before, ordered, unreadable)


def purge_students(session: Session, graduated_before: str, *, now: datetime) -> PurgeResult:
    """Anonymise the students of terms before ``graduated_before`` (see the module)."""
    plan = plan_purge(session, graduated_before)
    terms = list(plan.terms)
    if not terms:
        return PurgeResult(plan.before, [], 0, 0, 0)
    purged = and_(Student.graduation_term.in_(terms), Student.purged_at.is_(None))
    students = select(Student.id).where(purged)
    # Children first: once the students are marked, ``purged`` no longer selects them.
    addresses = _addresses_only_of(session, purged)
    _forget_addresses(session, addresses)
    lock_in_order(session, Message.id, Message.student_id.in_(students))
    events = _rowcount(
        session,
        update(DeliveryEvent)
        .where(
            DeliveryEvent.message_id.in_(select(Message.id).where(Message.student_id.in_(students)))
        )
        .values(raw={}, description=None),
    )
    messages = _rowcount(
        session,
        update(Message)
        .where(Message.student_id.in_(students))
        .values(address=None, error_message=None),
    )
    # What they wrote us, the answers and the files: whatever the address it came from.
    replies = select(InboundMessage.id).where(InboundMessage.student_id.in_(students))
    session.execute(delete(ReplyAttachment).where(ReplyAttachment.inbound_id.in_(replies)))
    session.execute(
        update(InboundMessage)
        .where(InboundMessage.student_id.in_(students))
        .values(address=None, body=None, answer=None)
    )
    count = _rowcount(
        session,
        update(Student)
        .where(purged)
        .values(
            first_name=PURGED_NAME,
            last_name=PURGED_NAME,
            email=None,
            personal_email=None,
            phone=None,
            phone_is_mobile=False,
            whatsapp_opt_in=False,
            contact_consent=False,
            purged_at=now,
            updated_at=now,
        ),
    )
    return PurgeResult(plan.before, terms, count, messages, events)


@dataclass(frozen=True, slots=True)
class _Addresses:
    emails: frozenset[str]
    phones: frozenset[str]

    def __contains__(self, candidate: str) -> bool:
        return candidate.lower() in self.emails or candidate in self.phones


def _addresses_only_of(session: Session, purged: ColumnElement[bool]) -> _Addresses:
    """The email addresses (lower case) and phone numbers of the purged students that no
    student who stays has too (theirs must keep their suppressions)."""
    emails: set[str] = set()
    phones: set[str] = set()
    kept_emails: set[str] = set()
    kept_phones: set[str] = set()
    rows = session.execute(
        select(Student.email, Student.personal_email, Student.phone, purged.label("purged"))
    )
    for email, personal_email, phone, is_purged in rows:
        mails = {a.lower() for a in (email, personal_email) if a}
        numbers = {phone} if phone else set()
        if is_purged:
            emails |= mails
            phones |= numbers
        else:
            kept_emails |= mails
            kept_phones |= numbers
    return _Addresses(frozenset(emails - kept_emails), frozenset(phones - kept_phones))


_EMAIL = re.compile(r"[^\s\"'<>(),;:]+@[^\s\"'<>(),;:]+")
_PHONE = re.compile(r"\+\d{8,15}")


def _forget_addresses(session: Session, addresses: _Addresses) -> None:
    """What outside the students' own rows names them: suppressions, their inbound messages,
    and provider events that matched no message (their payload may carry the address)."""
    for chunk in _chunks(sorted(addresses.emails)):
        session.execute(
            delete(Suppression).where(
                Suppression.channel == Channel.EMAIL, Suppression.address.in_(chunk)
            )
        )
    for chunk in _chunks(sorted(addresses.phones)):
        session.execute(
            delete(Suppression).where(
                Suppression.channel != Channel.EMAIL, Suppression.address.in_(chunk)
            )
        )
        session.execute(
            update(InboundMessage)
            .where(InboundMessage.address.in_(chunk))
            .values(address=None, body=None)
        )
    unmatched = session.execute(
        select(DeliveryEvent.id, DeliveryEvent.raw, DeliveryEvent.description).where(
            DeliveryEvent.message_id.is_(None)
        )
    )
    naming = [
        event_id
        for event_id, raw, description in unmatched
        if _names_any(json.dumps(raw, ensure_ascii=False) + (description or ""), addresses)
    ]
    for chunk in _chunks(naming):
        session.execute(
            update(DeliveryEvent)
            .where(DeliveryEvent.id.in_(chunk))
            .values(raw={}, description=None)
        )


def _names_any(text: str, addresses: _Addresses) -> bool:
    return any(found in addresses for found in _EMAIL.findall(text)) or any(
        found in addresses for found in _PHONE.findall(text)
    )


def _chunks(values: list[T]) -> Iterator[list[T]]:
    for start in range(0, len(values), 1000):
        yield values[start : start + 1000]


def _rowcount(session: Session, statement: Update) -> int:
    result = session.execute(statement.execution_options(synchronize_session=False))
    return int(cast(CursorResult[Any], result).rowcount)
