"""Whether a student can be reached, as conditions on ``Student`` rows: an address a channel
could use, and addresses stopped by a suppression (an opt-out, a bounce, a complaint). The
board and the students list count and filter by the same rules."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, func, or_, select, true, union

from campaigns.core.models import Student, Suppression
from channels.base import Channel


def reachable(channel: Channel | None = None) -> ColumnElement[bool]:
    """An address ``channel`` could use (any channel's when None): an email, a mobile
    phone, or a mobile phone with a WhatsApp opt-in."""
    mobile = and_(Student.phone.is_not(None), Student.phone_is_mobile.is_(True))
    by_channel = {
        Channel.EMAIL: or_(Student.email.is_not(None), Student.personal_email.is_not(None)),
        Channel.SMS: mobile,
        Channel.WHATSAPP: and_(mobile, Student.whatsapp_opt_in.is_(True)),
    }
    if channel is None:
        return or_(by_channel[Channel.EMAIL], by_channel[Channel.SMS])
    return and_(true(), by_channel[channel])


def opted_out() -> ColumnElement[bool]:
    """One of the student's addresses is suppressed: the suppressed students are found once,
    each address by an equality the database can hash, then looked up by id (not a
    subquery per student)."""
    email, phones = Channel.EMAIL, [Channel.SMS, Channel.WHATSAPP]
    matches = (
        (Suppression.channel == email, Suppression.address == func.lower(Student.email)),
        (
            Suppression.channel == email,
            Suppression.address == func.lower(Student.personal_email),
        ),
        (Suppression.channel.in_(phones), Suppression.address == Student.phone),
    )
    stopped = union(
        *(select(Student.id).join(Suppression, and_(*match)) for match in matches)
    ).subquery()
    return Student.id.in_(select(stopped.c.id))
