"""The funnel of a campaign, in total and per wave, channel, faculty, department or advisor.

Every figure comes from the message rows planning wrote (one per wave and student, skips
included), so students who could not be reached are counted, not forgotten.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, select
from sqlalchemy.orm import QueryableAttribute, Session

from campaigns.errors import NotFoundError
from campaigns.models import (
    Campaign,
    Conversion,
    ConversionStage,
    Message,
    MessageStatus,
    SkipReason,
    Student,
    Wave,
)


class Dimension(enum.StrEnum):
    wave = "wave"
    channel = "channel"
    faculty = "faculty"
    department = "department"
    advisor = "advisor"


METRICS = (
    "audience",
    "no_consent",
    "unreachable",
    "suppressed",
    "eligible",
    "queued",
    "sent",
    "delivered",
    "failed",
    "unknown",
    "converted",
    "conversion_rate",
)

SENT_STATUSES = (MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.READ)
DELIVERED_STATUSES = (MessageStatus.DELIVERED, MessageStatus.READ)
QUEUED_STATUSES = (MessageStatus.PENDING, MessageStatus.SENDING)


@dataclass(frozen=True, slots=True)
class Report:
    campaign: dict[str, Any]
    by: Dimension | None
    totals: dict[str, Any]
    rows: list[dict[str, Any]]

    def as_dict(self) -> dict[str, Any]:
        return {
            "campaign": self.campaign,
            "by": self.by.value if self.by else None,
            "totals": self.totals,
            "rows": self.rows,
        }


def _students_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(distinct(case((condition, Message.student_id))))


def _messages_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.count(case((condition, Message.id)))


def _metric_columns(converted: Any) -> list[ColumnElement[Any]]:
    return [
        func.count(distinct(Message.student_id)).label("audience"),
        _students_where(Message.skip_reason == SkipReason.NO_CONSENT).label("no_consent"),
        _students_where(Message.skip_reason == SkipReason.UNREACHABLE).label("unreachable"),
        _students_where(Message.skip_reason == SkipReason.SUPPRESSED).label("suppressed"),
        _students_where(Message.channel.is_not(None)).label("eligible"),
        _messages_where(Message.status.in_(QUEUED_STATUSES)).label("queued"),
        _messages_where(Message.status.in_(SENT_STATUSES)).label("sent"),
        _messages_where(Message.status.in_(DELIVERED_STATUSES)).label("delivered"),
        _messages_where(Message.status == MessageStatus.FAILED).label("failed"),
        _messages_where(Message.status == MessageStatus.UNKNOWN).label("unknown"),
        _students_where(converted.c.id.is_not(None)).label("converted"),
    ]


def _key_column(by: Dimension) -> QueryableAttribute[Any]:
    return {
        Dimension.wave: Wave.name,
        Dimension.channel: Message.channel,
        Dimension.faculty: Student.faculty,
        Dimension.department: Student.department,
        Dimension.advisor: Student.advisor_email,
    }[by]


def campaign_report(session: Session, campaign_id: int, by: Dimension | None = None) -> Report:
    """The funnel of one campaign; with ``by``, also one row per value of that dimension."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFoundError(f"kampanya bulunamadı / campaign {campaign_id} not found")
    converted = Conversion.__table__.alias("converted")
    base = (
        select(*_metric_columns(converted))
        .select_from(Message)
        .join(Wave, Wave.id == Message.wave_id)
        .join(Student, Student.id == Message.student_id)
        .outerjoin(
            converted,
            and_(
                converted.c.student_id == Message.student_id,
                converted.c.stage == ConversionStage.REGISTERED.value,
            ),
        )
        .where(Wave.campaign_id == campaign_id)
    )
    totals = _finish(session.execute(base).one()._asdict())
    rows: list[dict[str, Any]] = []
    if by is not None:
        key = _key_column(by).label("key")
        grouped = base.add_columns(key).group_by(key)
        if by is Dimension.wave:
            grouped = grouped.add_columns(func.min(Wave.position).label("position"))
            order: Any = func.min(Wave.position)
        else:
            order = key
        for row in session.execute(grouped.order_by(order)).all():
            values = row._asdict()
            values.pop("position", None)
            key_value = values.pop("key")
            rows.append({"key": _key_text(key_value), **_finish(values)})
    return Report(
        campaign={
            "id": campaign.id,
            "name": campaign.name,
            "status": campaign.status.value,
            "launched_at": campaign.launched_at,
            "waves": [w.name for w in campaign.waves],
        },
        by=by,
        totals=totals,
        rows=rows,
    )


def _key_text(value: Any) -> str | None:
    if isinstance(value, enum.Enum):
        return str(value.value)
    return None if value is None else str(value)


def _finish(values: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = {name: int(values[name] or 0) for name in METRICS if name in values}
    audience = result["audience"]
    result["conversion_rate"] = round(result["converted"] / audience, 4) if audience else 0.0
    return result
