"""One student as the people who help them see it: how they can be reached (addresses
masked), every message of every campaign the reader may open, their conversions, and the
suppressions that stop messages to them, with why."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from campaigns.access.scopes import campaign_condition, get_student
from campaigns.core.actors import Actor
from campaigns.core.models import Conversion, ConversionStage, Student, Suppression
from campaigns.students.history import HistoryEntry, message_history
from channels.base import Channel


@dataclass(frozen=True, slots=True)
class Reach:
    """A way to reach the student: the channel and the address, masked."""

    channel: Channel
    address: str


@dataclass(frozen=True, slots=True)
class Reached:
    stage: ConversionStage
    occurred_at: datetime
    source: str


@dataclass(frozen=True, slots=True)
class Stopped:
    """A suppression on one of the student's addresses."""

    channel: Channel
    address: str
    reason: str
    since: datetime


@dataclass(frozen=True, slots=True)
class Profile:
    student: Student
    reach: list[Reach]
    messages: list[HistoryEntry]
    conversions: list[Reached]
    suppressions: list[Stopped]


def mask_email(address: str) -> str:
    """``ayse.kaya@example.com`` → ``a…@example.com``: enough to tell addresses apart."""
    local, _, domain = address.partition("@")
    return f"{local[:1]}…@{domain}" if domain else "…"


def mask_phone(number: str) -> str:
    """``+905321234567`` → ``+90 … 67``."""
    return f"{number[:3]} … {number[-2:]}" if len(number) > 5 else "…"


def masked(channel: Channel, address: str) -> str:
    return mask_email(address) if channel is Channel.EMAIL else mask_phone(address)


def student_profile(session: Session, actor: Actor, student_no: str) -> Profile:
    """The student if ``actor`` may see them (``NotFoundError`` otherwise, as if they did
    not exist), with only the campaigns ``actor`` may open."""
    student = get_student(session, actor, student_no)
    emails = [a for a in (student.email, student.personal_email) if a]
    reach = [Reach(Channel.EMAIL, mask_email(a)) for a in emails]
    if student.phone and student.phone_is_mobile:
        reach.append(Reach(Channel.SMS, mask_phone(student.phone)))
        if student.whatsapp_opt_in:
            reach.append(Reach(Channel.WHATSAPP, mask_phone(student.phone)))
    history = message_history(session, student.id, visible=campaign_condition(session, actor))
    conversions = [
        Reached(c.stage, c.occurred_at, c.source)
        for c in session.scalars(
            select(Conversion)
            .where(Conversion.student_no == student.student_no)
            .order_by(Conversion.occurred_at)
        )
    ]
    addresses = []
    if emails:
        addresses.append(
            and_(
                Suppression.channel == Channel.EMAIL,
                Suppression.address.in_([a.lower() for a in emails]),
            )
        )
    if student.phone:
        addresses.append(
            and_(
                Suppression.channel.in_([Channel.SMS, Channel.WHATSAPP]),
                Suppression.address == student.phone,
            )
        )
    stopped = (
        [
            Stopped(s.channel, masked(s.channel, s.address), s.reason, s.created_at)
            for s in session.scalars(
                select(Suppression).where(or_(*addresses)).order_by(func.lower(Suppression.address))
            )
        ]
        if addresses
        else []
    )
    return Profile(student, reach, history, conversions, stopped)
