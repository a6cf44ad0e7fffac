"""The advisors' inbox: what students wrote back, on any channel, routed by the student's
scope (an advisor sees their own students' replies), and where each stands: new, assigned
to someone, done. Opt-out keywords are handled when they arrive and are not in the inbox."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Final, Literal

from sqlalchemy import ColumnElement, ScalarSelect, Select, func, select
from sqlalchemy.orm import Session, aliased

from campaigns.access.scopes import student_condition
from campaigns.core import audit
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError, NotFoundError
from campaigns.core.models import InboundMessage, ReplyAttachment, Student, utcnow
from campaigns.core.settings import Settings
from channels.base import Channel, OutboundMessage, ProviderTemplate

State = Literal["new", "assigned", "done"]
STATES: Final[tuple[State, ...]] = ("new", "assigned", "done")
REPLY_STATE: Final = "reply.state"
REPLY_ANSWER: Final = "reply.answer"


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
    answer: str | None = None
    answered_by: str | None = None
    free_text: bool = True
    """Whether a free-text answer may go now (WhatsApp: within 24 hours)."""
    files: tuple[File, ...] = ()
    first_name: str = ""


@dataclass(frozen=True, slots=True)
class File:
    """An attachment as the inbox lists it (its bytes are fetched one at a time)."""

    id: int
    filename: str
    size: int
    refused: str | None


def _mine(session: Session, actor: Actor) -> list[ColumnElement[bool]]:
    return [
        InboundMessage.keyword.is_(None),
        InboundMessage.student_id.is_not(None),
        student_condition(session, actor),
    ]


def _last_heard() -> ScalarSelect[datetime]:
    """When the reply's address last wrote on its channel: WhatsApp's 24 hours run from the
    student's latest message, not from the one being answered."""
    later = aliased(InboundMessage)
    return (
        select(func.max(later.received_at))
        .where(later.channel == InboundMessage.channel, later.address == InboundMessage.address)
        .scalar_subquery()
    )


def _listed() -> Select[InboundMessage, str, str, str, datetime]:
    return select(
        InboundMessage, Student.student_no, Student.first_name, Student.last_name, _last_heard()
    ).join(Student, Student.id == InboundMessage.student_id)


def inbox(
    session: Session, actor: Actor, state: State, *, limit: int = 50, offset: int = 0
) -> list[Reply]:
    """The replies of ``actor``'s students in ``state``, newest first."""
    rows = session.execute(
        _listed()
        .where(*_mine(session, actor), InboundMessage.state == state)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    return _with_files(
        session, [_reply(m, no, first, last, heard) for m, no, first, last, heard in rows]
    )


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
        _listed()
        .where(InboundMessage.student_id == student_id)
        .order_by(InboundMessage.received_at.desc())
    ).all()
    return _with_files(
        session, [_reply(m, no, first, last, heard) for m, no, first, last, heard in rows]
    )


def _with_files(session: Session, found: list[Reply]) -> list[Reply]:
    """The replies with their attachments' names and sizes (one query)."""
    if not found:
        return found
    files: dict[int, list[File]] = {}
    rows = session.execute(
        select(
            ReplyAttachment.inbound_id,
            ReplyAttachment.id,
            ReplyAttachment.filename,
            ReplyAttachment.size,
            ReplyAttachment.refused,
        )
        .where(ReplyAttachment.inbound_id.in_([r.id for r in found]))
        .order_by(ReplyAttachment.id)
    )
    for inbound_id, file_id, filename, size, refused in rows:
        files.setdefault(inbound_id, []).append(File(file_id, filename, size, refused))
    return [replace(r, files=tuple(files.get(r.id, ()))) for r in found]


def attachment(session: Session, actor: Actor, reply_id: int, file_id: int) -> ReplyAttachment:
    """A kept attachment of a reply of ``actor``'s student; not found otherwise."""
    found = session.scalars(
        select(ReplyAttachment)
        .join(InboundMessage, InboundMessage.id == ReplyAttachment.inbound_id)
        .join(Student, Student.id == InboundMessage.student_id)
        .where(
            ReplyAttachment.id == file_id,
            ReplyAttachment.inbound_id == reply_id,
            ReplyAttachment.data.is_not(None),
            *_mine(session, actor),
        )
    ).first()
    if found is None:
        raise NotFoundError("ek bulunamadı / attachment not found")
    return found


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


def _reply(
    message: InboundMessage, no: str, first: str, last: str, heard: datetime | None
) -> Reply:
    return Reply(
        message.id,
        message.received_at,
        message.channel,
        message.body or "",
        message.state,
        message.assigned_to,
        no,
        f"{first} {last}".strip(),
        message.answer,
        message.answered_by,
        free_text_allowed(message.channel, heard or message.received_at, utcnow()),
        first_name=first,
    )


WHATSAPP_WINDOW: Final = timedelta(hours=24)
MAX_ANSWER: Final = 1600


@dataclass(frozen=True, slots=True)
class Answer:
    """An answer ready for the provider: the message, and the reply it answers."""

    reply_id: int
    message: OutboundMessage
    provider: str


@dataclass(frozen=True, slots=True)
class AnswerTemplate:
    """The approved WhatsApp template an answer takes after the 24 hours: its content SID
    and its approved text, whose ``{{1}}`` is the student's first name."""

    sid: str
    text: str

    @classmethod
    def of(cls, settings: Settings) -> AnswerTemplate | None:
        sid = (settings.whatsapp_answer_sid or "").strip()
        return cls(sid, settings.whatsapp_answer_text) if sid else None

    def filled(self, first_name: str) -> ProviderTemplate:
        return ProviderTemplate(self.sid, {"1": first_name})

    def text_for(self, first_name: str) -> str:
        return self.text.replace("{{1}}", first_name)


class AnswerRefused(CampaignsError):
    """The answer cannot be sent as it is (empty, too long, outside WhatsApp's window)."""


def free_text_allowed(channel: Channel, received_at: datetime, now: datetime) -> bool:
    """WhatsApp takes free text only within 24 hours of the student's last message; the
    other channels always do."""
    return channel is not Channel.WHATSAPP or now - received_at <= WHATSAPP_WINDOW


def _answerable(session: Session, actor: Actor, reply_id: int) -> tuple[InboundMessage, str]:
    """The reply of ``actor``'s student to answer, and the student's first name."""
    found = session.execute(
        select(InboundMessage, Student.first_name)
        .join(Student, Student.id == InboundMessage.student_id)
        .where(InboundMessage.id == reply_id, *_mine(session, actor))
    ).first()
    if found is None or found[0].address is None:
        raise NotFoundError("yanıt bulunamadı / reply not found")
    return found[0], found[1]


def _window_open(session: Session, message: InboundMessage, now: datetime) -> bool:
    heard = session.scalar(
        select(func.max(InboundMessage.received_at)).where(
            InboundMessage.channel == message.channel,
            InboundMessage.address == message.address,
        )
    )
    return free_text_allowed(message.channel, heard or message.received_at, now)


def prepare_answer(
    session: Session, actor: Actor, reply_id: int, text: str, now: datetime
) -> Answer:
    """The answer to a reply of ``actor``'s student, on the channel it came by, to the
    address it came from; ``AnswerRefused`` says why it cannot go as it is."""
    message, _ = _answerable(session, actor, reply_id)
    text = text.strip()
    if not text:
        raise AnswerRefused("yanıt boş / the answer is empty")
    if len(text) > MAX_ANSWER:
        raise AnswerRefused(
            f"yanıt çok uzun (en fazla {MAX_ANSWER}) / the answer is too long (at most "
            f"{MAX_ANSWER})"
        )
    if not _window_open(session, message, now):
        raise AnswerRefused(
            "WhatsApp'ta 24 saat geçti: yalnızca onaylı şablon gönderilebilir; yanıtın "
            "yanındaki şablonu gönderin, öğrenci yazınca serbest metinle yanıtlayın / more "
            "than 24 hours on WhatsApp: only an approved template may be sent; send the "
            "template beside the reply, and answer freely once the student writes back"
        )
    return _answer(message, text)


def prepare_template_answer(
    session: Session,
    actor: Actor,
    reply_id: int,
    template: AnswerTemplate | None,
    now: datetime,
) -> Answer:
    """The approved template that answers a WhatsApp reply after WhatsApp's 24 hours: it
    tells the student the office has answered and asks them to write back, which opens the
    window for a free-text answer."""
    message, first_name = _answerable(session, actor, reply_id)
    if message.channel is not Channel.WHATSAPP:
        raise AnswerRefused(
            "şablon yalnızca WhatsApp yanıtları içindir / the template is for WhatsApp only"
        )
    if template is None:
        raise AnswerRefused(
            "onaylı yanıt şablonu tanımlı değil: yönetici CAMPAIGNS_WHATSAPP_ANSWER_SID "
            "ayarını girsin / no approved answer template: an administrator sets "
            "CAMPAIGNS_WHATSAPP_ANSWER_SID"
        )
    if _window_open(session, message, now):
        raise AnswerRefused(
            "24 saat dolmadı: serbest metinle yanıtlayın / within 24 hours: answer with free text"
        )
    return _answer(message, template.text_for(first_name), template.filled(first_name))


def _answer(message: InboundMessage, text: str, template: ProviderTemplate | None = None) -> Answer:
    assert message.address is not None  # checked by _answerable
    outbound = OutboundMessage(
        id=0,
        channel=message.channel,
        to=message.address,
        text=text,
        subject="Mezun Bilgi Sistemi" if message.channel is Channel.EMAIL else None,
        tags={"reply": str(message.id)},
        template=template,
    )
    return Answer(message.id, outbound, message.provider)


def record_answer(session: Session, actor: Actor, answer: Answer, now: datetime) -> None:
    """The answer went out: kept on the reply, which is done; audited."""
    message = session.get(InboundMessage, answer.reply_id)
    if message is None:
        return
    message.answer = answer.message.text
    message.answered_by, message.answered_at = actor.name, now
    message.state, message.handled_at = "done", now
    audit.record(session, actor.name, REPLY_ANSWER, f"reply:{answer.reply_id}", {})
