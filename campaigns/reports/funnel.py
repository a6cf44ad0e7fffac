"""The funnel of a campaign, in total and per wave, channel, faculty, department or advisor.

audience → sent → delivered → clicked → registered (``converted``) → form submitted, with
the conversions attributed to the campaign's messages (last touch), the median time from
a student's first message to their registration, and the cost per attributed registration.

Every figure comes from the message rows planning wrote (one per wave and student, skips
included), so students who could not be reached are counted, not forgotten. Student figures
(audience, skips, eligible, registered) count students once; message figures (sent,
delivered, failed, clicked, cost) count messages. Per wave or channel, ``converted`` (and
``form_submitted``) counts the students of the row who registered (handed in the form) after
one of its messages went out, and the rate is out of the students it reached; per faculty,
department or advisor, and in total, it counts the students who registered, out of the
audience. Messages skipped at planning form the
channel row ``None`` (not sent).
"""

from __future__ import annotations

import enum
import statistics
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, and_, case, distinct, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from campaigns.core.errors import NotFoundError
from campaigns.core.models import (
    Campaign,
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    SkipReason,
    Student,
    Wave,
)
from campaigns.governance import privacy


class Dimension(enum.StrEnum):
    wave = "wave"
    channel = "channel"
    faculty = "faculty"
    department = "department"
    advisor = "advisor"


COUNTS = (
    "audience",
    "no_consent",
    "unreachable",
    "suppressed",
    "capped",
    "eligible",
    "reached",
    "queued",
    "sent",
    "delivered",
    "failed",
    "unknown",
    "clicked",
    "converted",
    "form_submitted",
    "attributed",
    "attributed_forms",
)
METRICS = (
    *COUNTS,
    "conversion_rate",
    "median_hours_to_convert",
    "cost",
    "cost_per_conversion",
)

QUEUED_STATUSES = (MessageStatus.PENDING, MessageStatus.SENDING)
MESSAGE_DIMENSIONS = (Dimension.wave, Dimension.channel)
STUDENT_DIMENSIONS = (Dimension.faculty, Dimension.department, Dimension.advisor)
"""Rows of messages: their registrations are those that followed their messages."""


@dataclass(frozen=True, slots=True)
class Report:
    campaign: dict[str, Any]
    by: Dimension | None
    totals: dict[str, Any]
    rows: list[dict[str, Any]]
    currency: str = ""
    providers: dict[str, int] | None = None
    """Messages accepted per adapter: where they went (``outbox`` and ``null`` reach nobody)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "by": self.by.value if self.by else None,
            "currency": self.currency,
            "providers": self.providers or {},
            "totals": self.totals,
            "rows": self.rows,
        }


def _students_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(distinct(case((condition, Message.student_id))))


def _messages_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, Message.id)))


@dataclass(frozen=True)
class _Joins:
    """Conversions joined to each message row: the student's (any message) and the ones
    credited to this very message."""

    registered: FromClause
    form: FromClause
    credited: FromClause
    credited_form: FromClause

    @classmethod
    def create(cls) -> _Joins:
        table = Conversion.__table__
        return cls(
            table.alias("registered"),
            table.alias("form"),
            table.alias("credited"),
            table.alias("credited_form"),
        )

    def apply(self, query: Select[Any]) -> Select[Any]:
        registered, form = ConversionStage.REGISTERED.value, ConversionStage.FORM_SUBMITTED.value
        for alias, column, stage in (
            (self.registered, "student_id", registered),
            (self.form, "student_id", form),
            (self.credited, "last_message_id", registered),
            (self.credited_form, "last_message_id", form),
        ):
            own = Message.student_id if column == "student_id" else Message.id
            query = query.outerjoin(alias, and_(alias.c[column] == own, alias.c.stage == stage))
        return query


def _metric_columns(joins: _Joins) -> list[ColumnElement[Any]]:
    return [
        func.count(distinct(Message.student_id)).label("audience"),
        _students_where(
            Message.skip_reason.in_([SkipReason.NO_CONSENT, SkipReason.NO_COMMERCIAL_CONSENT])
        ).label("no_consent"),
        _students_where(Message.skip_reason == SkipReason.UNREACHABLE).label("unreachable"),
        _students_where(Message.skip_reason == SkipReason.SUPPRESSED).label("suppressed"),
        _messages_where(Message.skip_reason == SkipReason.CAPPED).label("capped"),
        _students_where(Message.channel.is_not(None)).label("eligible"),
        _students_where(Message.sent_at.is_not(None)).label("reached"),
        _messages_where(Message.status.in_(QUEUED_STATUSES)).label("queued"),
        # Sent: accepted by the provider (even if it failed to deliver later).
        _messages_where(Message.sent_at.is_not(None)).label("sent"),
        _messages_where(Message.delivered_at.is_not(None)).label("delivered"),
        _messages_where(Message.status == MessageStatus.FAILED).label("failed"),
        _messages_where(Message.status == MessageStatus.UNKNOWN).label("unknown"),
        _messages_where(Message.click_count > 0).label("clicked"),
        _students_where(joins.registered.c.id.is_not(None)).label("converted"),
        _students_where(joins.registered.c.occurred_at >= Message.sent_at).label("converted_after"),
        _students_where(joins.form.c.id.is_not(None)).label("form_submitted"),
        _students_where(joins.form.c.occurred_at >= Message.sent_at).label("form_after"),
        func.count(distinct(joins.credited.c.id)).label("attributed"),
        func.count(distinct(joins.credited_form.c.id)).label("attributed_forms"),
        func.sum(Message.cost).label("cost"),
    ]


def _key_column(by: Dimension) -> QueryableAttribute[Any]:
    return {
        Dimension.wave: Wave.name,
        Dimension.channel: Message.channel,
        Dimension.faculty: Student.faculty,
        Dimension.department: Student.department,
        Dimension.advisor: Student.advisor_email,
    }[by]


def campaign_report(
    session: Session,
    campaign_id: int,
    by: Dimension | None = None,
    *,
    currency: str = "",
    link_tracking: bool = True,
) -> Report:
    """The funnel of one campaign; with ``by``, also one row per value of that dimension.
    Costs are in ``currency`` (the configured one: messages are priced in it). Where links
    are not tracked (``link_tracking``, the installation's switch, or the campaign's own),
    ``clicked`` is None: not measured, not zero."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"kampanya bulunamadı / campaign {campaign_id} not found")
    measured = privacy.tracks_links(link_tracking, campaign)
    joins = _Joins.create()
    base = joins.apply(
        select(*_metric_columns(joins)).select_from(Message).join(Wave, Wave.id == Message.wave_id)
    ).where(Wave.campaign_id == campaign_id)
    delays = _delays(session, campaign_id, by)
    totals = _finish(session.execute(base).one()._asdict(), delays.get(_ALL, []))
    if not measured:
        totals["clicked"] = None
    rows: list[dict[str, Any]] = []
    if by is not None:
        key = _key_column(by).label("key")
        grouped = base.add_columns(key).group_by(key)
        if by in STUDENT_DIMENSIONS:
            # Only these rows need the student's own columns (a join of every message).
            grouped = grouped.join(Student, Student.id == Message.student_id)
        order: Any = func.min(Wave.position) if by is Dimension.wave else key
        for row in session.execute(grouped.order_by(order)).all():
            values = row._asdict()
            key_value = _key_text(values.pop("key"))
            if by in MESSAGE_DIMENSIONS:
                values["converted"] = values["converted_after"]
                values["form_submitted"] = values["form_after"]
            finished = _finish(
                values, delays.get(key_value, []), per_message=by in MESSAGE_DIMENSIONS
            )
            if not measured:
                finished["clicked"] = None
            rows.append({"key": key_value, **finished})
    sent_by = session.execute(
        select(Message.provider, func.count())
        .join(Wave, Wave.id == Message.wave_id)
        .where(Wave.campaign_id == campaign_id, Message.sent_at.is_not(None))
        .group_by(Message.provider)
    )
    providers = {provider: n for provider, n in sent_by if provider is not None}
    return Report(
        campaign={
            "id": campaign.id,
            "name": campaign.name,
            "status": campaign.status.value,
            "launched_at": campaign.launched_at,
            "waves": [w.name for w in campaign.waves],
            "held": {w.name: w.hold_reason for w in campaign.waves if w.hold_reason},
            "clicks_measured": measured,
        },
        by=by,
        totals=totals,
        rows=rows,
        currency=currency,
        providers=providers,
    )


_ALL = "\0all"


def _delays(
    session: Session, campaign_id: int, by: Dimension | None
) -> dict[str | None, list[int]]:
    """Seconds from first message to registration of the attributed conversions, per key."""
    key = _key_column(by) if by is not None else Wave.name
    query = (
        select(key.label("key"), Conversion.seconds_to_convert)
        .select_from(Conversion)
        .join(Message, Message.id == Conversion.last_message_id)
        .join(Wave, Wave.id == Message.wave_id)
        .join(Student, Student.id == Message.student_id)
        .where(
            Wave.campaign_id == campaign_id,
            Conversion.stage == ConversionStage.REGISTERED,
            Conversion.seconds_to_convert.is_not(None),
        )
    )
    found: dict[str | None, list[int]] = defaultdict(list)
    for row in session.execute(query):
        found[_ALL].append(row.seconds_to_convert)
        found[_key_text(row.key)].append(row.seconds_to_convert)
    return found


def _key_text(value: Any) -> str | None:
    if isinstance(value, enum.Enum):
        return str(value.value)
    return None if value is None else str(value)


def _finish(
    values: dict[str, Any], delays: list[int], *, per_message: bool = False
) -> dict[str, Any]:
    result: dict[str, Any] = {name: int(values[name] or 0) for name in COUNTS}
    base = result["reached"] if per_message else result["audience"]
    attributed = result["attributed"]
    cost = round(float(values["cost"] or 0), 4)
    result["conversion_rate"] = round(result["converted"] / base, 4) if base else 0.0
    result["median_hours_to_convert"] = (
        round(statistics.median(delays) / 3600, 2) if delays else None
    )
    result["cost"] = cost
    result["cost_per_conversion"] = round(cost / attributed, 4) if attributed else None
    return result
