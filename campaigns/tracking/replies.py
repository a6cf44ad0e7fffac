"""The advisors' inbox: what students wrote back, on any channel, routed by the student's
scope (an advisor sees their own students' replies), and where each stands: new, assigned
to someone, done. Opt-out keywords are handled when they arrive and are not in the inbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from campaigns.access.scopes import student_condition
from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError, NotFoundError
from campaigns.core.models import InboundMessage, Student, utcnow
from channels.base import Channel

State = Literal["new", "assigned", "done"]
STATES: Final[tuple[State, ...]] = ("new", "assigned", "done")
REPLY_STATE: Final = "reply.state"


@dataclass(frozen=True, slots=True)
class Reply:
    id: int
    received_at: datetime
    channel: Channel
    body: str
    state: str
    assigned_to: str | None
    student_no: str
    student_name: str


def _mine(session: Session, actor: Actor) -> list[ColumnElement[bool]]:
    return [
        InboundMessage.keyword.is_(None),
        InboundMessage.student_id.is_not(None),
        student_condition(session, actor),
    ]


def inbox(
    session: Session, actor: Actor, state: State, *, limit: int = 50, offset: int = 0
) -> list[Reply]:
    """The replies of ``actor``'s students in ``state``, newest first."""
    rows = session.execute(
        select(InboundMessage, Student.student_no, Student.first_name, Student.last_name)
        .join(Student, Student.id == InboundMessage.student_id)
        .where(*_mine(session, actor), InboundMessage.state == state)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return [_reply(message, no, first, last) for message, no, first, last in rows]


def counts(session: Session, actor: Actor) -> dict[str, int]:
    """How many replies of ``actor``'s students are in each state."""
    rows = session.execute(
        select(InboundMessage.state, func.count())
        .join(Student, Student.id == InboundMessage.student_id)
        .where(*_mine(session, actor))
        .group_by(InboundMessage.state)
    )
    found: dict[str, int] = dict.fromkeys(STATES, 0)
    found.update((state, count) for state, count in rows)
    return found


def of_student(session: Session, student_id: int) -> list[Reply]:
    """Every reply a student sent (their page's timeline), newest first."""
    rows = session.execute(
        select(InboundMessage, Student.student_no, Student.first_name, Student.last_name)
        .join(Student, Student.id == InboundMessage.student_id)
        .where(InboundMessage.student_id == student_id)
        .order_by(InboundMessage.received_at.desc())
    ).all()
    return [_reply(message, no, first, last) for message, no, first, last in rows]


def set_state(session: Session, actor: Actor, reply_id: int, state: State) -> None:
    """Assign a reply to ``actor``, mark it done, or open it again; a reply of a student
    outside ``actor``'s scope is not found. Audited."""
    if state not in STATES:
        raise CampaignsError(f"bilinmeyen durum / unknown state: {state!r}")
    message = session.scalars(
        select(InboundMessage)
        .join(Student, Student.id == InboundMessage.student_id)
        .where(InboundMessage.id == reply_id, *_mine(session, actor))
    ).first()
    if message is None:
        raise NotFoundError("yanıt bulunamadı / reply not found")
    message.state = state
    message.assigned_to = actor.name if state == "assigned" else message.assigned_to
    message.handled_at = utcnow() if state == "done" else None
    audit.record(session, actor.name, REPLY_STATE, f"reply:{reply_id}", {"state": state})


def _reply(message: InboundMessage, no: str, first: str, last: str) -> Reply:
    return Reply(
        message.id,
        message.received_at,
        message.channel,
        message.body or "",
        message.state,
        message.assigned_to,
        no,
        f"{first} {last}".strip(),
    )
