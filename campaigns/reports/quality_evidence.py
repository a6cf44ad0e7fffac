"""Evidence for the quality report (KİDR, the quality council): for one graduation term,
per programme (faculty, department, degree), how many students graduate, how many
registered in the alumni system and handed in the membership form, the rates, the reminders
sent by channel, the opt-outs and what the reminders cost, over a date range.

The figures are the reports' own: students are counted as the cohort board counts them,
except that purged students still count here (they graduated; only their contact details
are gone, which is why the board, a worklist, leaves them out), and messages as the
campaign funnel counts them (sent: accepted by the provider; cost: what the
providers charged, or the estimate). With a date range, reminders and costs are those sent
within it and registrations those recorded by its end; without one, everything so far.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Final
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, select, true
from sqlalchemy.orm import Session, aliased

from campaigns.access.scopes import student_condition
from campaigns.core.actors import Actor
from campaigns.core.errors import CampaignsError
from campaigns.core.models import Conversion, ConversionStage, Message, Student, utcnow
from campaigns.core.settings import Settings
from campaigns.definitions.send_window import day_starts
from campaigns.students.reachability import opted_out
from campaigns.students.terms import InvalidTermError, parse_term
from channels.base import Channel

COLUMNS: Final = (
    "faculty",
    "department",
    "degree",
    "graduating",
    "registered",
    "registration_rate",
    "form_submitted",
    "form_rate",
    "sent_email",
    "sent_sms",
    "sent_whatsapp",
    "opted_out",
    "cost",
)
HEADINGS: Final = {
    "faculty": "Fakülte / Faculty",
    "department": "Bölüm / Department",
    "degree": "Düzey / Degree",
    "graduating": "Mezun olacak / Graduating",
    "registered": "Kayıt olan / Registered",
    "registration_rate": "Kayıt oranı / Registration rate",
    "form_submitted": "Form teslim / Form handed in",
    "form_rate": "Form oranı / Form rate",
    "sent_email": "E-posta hatırlatma / Email reminders",
    "sent_sms": "SMS hatırlatma / SMS reminders",
    "sent_whatsapp": "WhatsApp hatırlatma / WhatsApp reminders",
    "opted_out": "İletişimi reddeden / Opted out",
    "cost": "Maliyet / Cost",
}
TOTAL: Final = "Toplam / Total"


class RangeProblem(CampaignsError):
    """A date range that cannot be used (its end before its start)."""


@dataclass(slots=True)
class ProgrammeFigures:
    """One programme of the term (or the total, whose ``faculty`` is ``TOTAL``)."""

    faculty: str
    department: str
    degree: str
    graduating: int = 0
    registered: int = 0
    form_submitted: int = 0
    opted_out: int = 0
    sent: dict[Channel, int] = field(default_factory=lambda: dict.fromkeys(Channel, 0))
    cost: Decimal = Decimal(0)

    @property
    def registration_rate(self) -> float | None:
        return self.registered / self.graduating if self.graduating else None

    @property
    def form_rate(self) -> float | None:
        return self.form_submitted / self.graduating if self.graduating else None

    def as_dict(self) -> dict[str, Any]:
        """The row under ``COLUMNS``' names (for tables, CSV, XLSX and JSON)."""
        return {
            "faculty": self.faculty,
            "department": self.department,
            "degree": self.degree,
            "graduating": self.graduating,
            "registered": self.registered,
            "registration_rate": self.registration_rate,
            "form_submitted": self.form_submitted,
            "form_rate": self.form_rate,
            "sent_email": self.sent[Channel.EMAIL],
            "sent_sms": self.sent[Channel.SMS],
            "sent_whatsapp": self.sent[Channel.WHATSAPP],
            "opted_out": self.opted_out,
            "cost": self.cost,
        }

    def add(self, other: ProgrammeFigures) -> None:
        for name in ("graduating", "registered", "form_submitted", "opted_out", "cost"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for channel, count in other.sent.items():
            self.sent[channel] += count


@dataclass(frozen=True, slots=True)
class Evidence:
    """The term's programmes and their total, and the period the figures cover."""

    term: str
    programmes: list[ProgrammeFigures]
    total: ProgrammeFigures
    since: date | None
    until: date | None
    first_sent: datetime | None
    last_sent: datetime | None
    currency: str
    made_at: datetime

    def period(self, zone: ZoneInfo) -> tuple[date | None, date | None]:
        """The dates the figures cover: the range asked for, else the first and last
        reminder's days."""
        first = self.since or (self.first_sent.astimezone(zone).date() if self.first_sent else None)
        last = self.until or (self.last_sent.astimezone(zone).date() if self.last_sent else None)
        return first, last

    def rows(self) -> list[dict[str, Any]]:
        """Every programme, then the total."""
        return [p.as_dict() for p in self.programmes] + [self.total.as_dict()]

    def as_dict(self, zone: ZoneInfo) -> dict[str, Any]:
        """The evidence as JSON-ready data (the CLI's ``--format json`` and the API)."""
        return {
            "term": self.term,
            "period": self.period(zone),
            "currency": self.currency,
            "rows": self.rows(),
        }


def scope_label(actor: Actor) -> str:
    """Whose students the evidence counts, for its reader."""
    scope = actor.scope
    if scope is None or scope.everyone:
        return "tüm üniversite / the whole university"
    if scope.advisor is not None:
        return f"{scope.advisor} danışmanlığındaki öğrenciler / advisees of {scope.advisor}"
    return f"{scope.faculty}"


def evidence_for(
    session: Session,
    actor: Actor,
    settings: Settings,
    term: str,
    since: date | None = None,
    until: date | None = None,
) -> Evidence:
    """``quality_evidence`` now, on the installation's clock and in its currency: what
    every face asks for."""
    return quality_evidence(
        session,
        actor,
        term,
        zone=settings.zone,
        now=utcnow(),
        since=since,
        until=until,
        currency=settings.cost_currency,
    )


def quality_evidence(
    session: Session,
    actor: Actor,
    term: str,
    *,
    zone: ZoneInfo,
    now: datetime,
    since: date | None = None,
    until: date | None = None,
    currency: str = "",
) -> Evidence:
    """The evidence of ``term`` for the students ``actor`` may see; ``since``/``until`` are
    local days in ``zone`` (either may be open)."""
    try:
        spelled = str(parse_term(term))
    except InvalidTermError as exc:
        raise CampaignsError(str(exc)) from None
    if since and until and until < since:
        raise RangeProblem(
            "bitiş tarihi başlangıçtan önce / the end of the range is before its start"
        )
    starts = day_starts(since, zone) if since else None
    ends = day_starts(until + timedelta(days=1), zone) if until else None
    in_term = and_(Student.graduation_term == spelled, student_condition(session, actor))
    figures: dict[tuple[str, str, str], ProgrammeFigures] = {}

    def programme(key: tuple[str, str, str]) -> ProgrammeFigures:
        if key not in figures:
            figures[key] = ProgrammeFigures(*key)
        return figures[key]

    for key, counts in _students(session, in_term, ends):
        found = programme(key)
        found.graduating, found.registered, found.form_submitted, found.opted_out = counts
    first_sent: datetime | None = None
    last_sent: datetime | None = None
    for key, channel, sent, cost, first, last in _reminders(session, in_term, starts, ends):
        found = programme(key)
        found.sent[channel] += sent
        found.cost += cost
        first_sent = min(filter(None, (first_sent, first)), default=None)
        last_sent = max(filter(None, (last_sent, last)), default=None)
    programmes = [figures[key] for key in sorted(figures)]
    total = ProgrammeFigures(TOTAL, "", "")
    for item in programmes:
        total.add(item)
    return Evidence(spelled, programmes, total, since, until, first_sent, last_sent, currency, now)


_PROGRAMME = (Student.faculty, Student.department, Student.degree)


def _students(
    session: Session, in_term: ColumnElement[bool], ends: datetime | None
) -> list[tuple[tuple[str, str, str], tuple[int, int, int, int]]]:
    registered, form = aliased(Conversion), aliased(Conversion)
    rows = session.execute(
        select(
            *_PROGRAMME,
            func.count(),
            func.count(registered.id),
            func.count(form.id),
            func.coalesce(func.sum(case((opted_out(), 1), else_=0)), 0),
        )
        .outerjoin(
            registered,
            and_(
                registered.student_no == Student.student_no,
                registered.stage == ConversionStage.REGISTERED,
                registered.occurred_at < ends if ends else true(),
            ),
        )
        .outerjoin(
            form,
            and_(
                form.student_no == Student.student_no,
                form.stage == ConversionStage.FORM_SUBMITTED,
                form.occurred_at < ends if ends else true(),
            ),
        )
        .where(in_term)
        .group_by(*_PROGRAMME)
    ).all()
    return [
        ((faculty, department, degree), (int(a), int(b), int(c), int(d)))
        for faculty, department, degree, a, b, c, d in rows
    ]


def _reminders(
    session: Session,
    in_term: ColumnElement[bool],
    starts: datetime | None,
    ends: datetime | None,
) -> list[tuple[tuple[str, str, str], Channel, int, Decimal, datetime | None, datetime | None]]:
    within: list[ColumnElement[bool]] = [Message.sent_at.is_not(None)]
    if starts:
        within.append(Message.sent_at >= starts)
    if ends:
        within.append(Message.sent_at < ends)
    rows = session.execute(
        select(
            *_PROGRAMME,
            Message.channel,
            func.count(),
            func.coalesce(func.sum(Message.cost), 0),
            func.min(Message.sent_at),
            func.max(Message.sent_at),
        )
        .join(Student, Student.id == Message.student_id)
        .where(in_term, *within)
        .group_by(*_PROGRAMME, Message.channel)
    ).all()
    return [
        (
            (faculty, department, degree),
            Channel(str(channel)),
            int(count),
            Decimal(str(cost)),
            first,
            last,
        )
        for faculty, department, degree, channel, count, cost, first, last in rows
    ]
