"""Request and response bodies of the API, so its OpenAPI document says exactly what goes in
and comes out. Built from the domain's objects; they never expose contact addresses of
students."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from campaigns.core.durations import format_duration
from campaigns.core.models import (
    AuditEntry,
    Campaign,
    CampaignStatus,
    MessageStatus,
    Role,
    SkipReason,
    Student,
    User,
    Wave,
    WaveStatus,
)
from campaigns.definitions.send_window import SendWindow
from campaigns.delivery.preview import ChannelPreview, WavePreview
from campaigns.delivery.trial_send import TrialResult
from campaigns.governance.approval import Review
from campaigns.governance.closed_day_book import ClosedSpan
from campaigns.planning.preflight import Preflight
from campaigns.students.history import HistoryEntry
from channels.base import Channel

# PostgreSQL text cannot hold NUL: refused as bad input rather than failing in the database.
NO_NUL = r"^[^\x00]*$"


class _Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


# --- errors ----------------------------------------------------------------------------------


class ErrorOut(BaseModel):
    """``{"detail": "Türkçe … / English …"}``."""

    detail: str


class FieldErrorOut(BaseModel):
    """One thing wrong with the input: where (``loc``), why (``msg``), what kind (``type``)."""

    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(BaseModel):
    """Every problem with the input at once."""

    detail: list[FieldErrorOut]


# --- users and audit -------------------------------------------------------------------------


class MeOut(_Out):
    email: str
    role: Role
    faculty: str | None
    phone: str | None
    created_at: datetime

    @classmethod
    def of(cls, user: User) -> MeOut:
        return cls.model_validate(user)


class AuditEntryOut(_Out):
    id: int
    at: datetime
    actor: str
    action: str
    target: str | None
    details: dict[str, Any]

    @classmethod
    def of(cls, entry: AuditEntry) -> AuditEntryOut:
        return cls.model_validate(entry)


# --- students --------------------------------------------------------------------------------


class StudentOut(BaseModel):
    """A student as advisors see them: who, where, whether and how they can be reached."""

    student_no: str
    first_name: str
    last_name: str
    faculty: str
    department: str
    degree: str
    graduation_term: str
    advisor_name: str | None
    advisor_email: str | None
    language: str
    contact_consent: bool
    reachable_by: list[Channel] = Field(
        description="Adresi olan kanallar / channels the student has an address for."
    )
    purged_at: datetime | None

    @classmethod
    def of(cls, student: Student) -> StudentOut:
        return cls(**_student_fields(student))


def _student_fields(student: Student) -> dict[str, Any]:
    reachable = []
    if student.email or student.personal_email:
        reachable.append(Channel.EMAIL)
    if student.phone and student.phone_is_mobile:
        reachable.append(Channel.SMS)
        if student.whatsapp_opt_in:
            reachable.append(Channel.WHATSAPP)
    return {
        "student_no": student.student_no,
        "first_name": student.first_name,
        "last_name": student.last_name,
        "faculty": student.faculty,
        "department": student.department,
        "degree": student.degree,
        "graduation_term": student.graduation_term,
        "advisor_name": student.advisor_name,
        "advisor_email": student.advisor_email,
        "language": student.language,
        "contact_consent": student.contact_consent,
        "reachable_by": reachable,
        "purged_at": student.purged_at,
    }


class StudentPageOut(BaseModel):
    total: int = Field(description="Eşleşen öğrenci sayısı / students matching in all.")
    limit: int
    offset: int
    items: list[StudentOut]


class MessageOut(_Out):
    """One message of a student: the wave, its outcome and times."""

    campaign_id: int
    campaign_name: str
    wave: str
    channel: Channel | None
    status: MessageStatus
    skip_reason: SkipReason | None
    error_code: str | None
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None
    clicked_at: datetime | None
    click_count: int

    @classmethod
    def of(cls, entry: HistoryEntry) -> MessageOut:
        return cls.model_validate(entry)


class StudentDetailOut(StudentOut):
    messages: list[MessageOut]

    @classmethod
    def with_history(cls, student: Student, history: list[HistoryEntry]) -> StudentDetailOut:
        return cls(**_student_fields(student), messages=[MessageOut.of(entry) for entry in history])


# --- campaigns -------------------------------------------------------------------------------


class WaveOut(BaseModel):
    position: int
    name: str
    status: WaveStatus
    offset: str | None = Field(description='Başlatmadan sonra / after launch, e.g. "3d".')
    start_at: datetime | None
    channels: list[Channel]
    template: str
    only_unconverted: bool
    options: dict[str, Any]

    @classmethod
    def of(cls, wave: Wave) -> WaveOut:
        return cls(
            position=wave.position,
            name=wave.name,
            status=wave.status,
            offset=None if wave.offset_seconds is None else format_duration(wave.offset_seconds),
            start_at=wave.start_at,
            channels=[Channel(value) for value in wave.channels],
            template=wave.template,
            only_unconverted=wave.only_unconverted,
            options=wave.options or {},
        )


class CampaignSummaryOut(BaseModel):
    id: int
    name: str
    status: CampaignStatus
    timezone: str
    scope_faculty: str | None
    scope_advisor: str | None
    created_by: str | None
    created_at: datetime
    launched_at: datetime | None
    finished_at: datetime | None
    waves: int

    @classmethod
    def of(cls, campaign: Campaign) -> CampaignSummaryOut:
        return cls(**_campaign_fields(campaign), waves=len(campaign.waves))


def _campaign_fields(campaign: Campaign) -> dict[str, Any]:
    return {
        "id": campaign.id,
        "name": campaign.name,
        "status": campaign.status,
        "timezone": campaign.timezone,
        "scope_faculty": campaign.scope_faculty,
        "scope_advisor": campaign.scope_advisor,
        "created_by": campaign.created_by,
        "created_at": campaign.created_at,
        "launched_at": campaign.launched_at,
        "finished_at": campaign.finished_at,
    }


class ReviewOut(BaseModel):
    """Where the campaign stands with its approval (four eyes)."""

    required: bool
    state: str | None = Field(description="pending, approved, returned; null: not submitted")
    approved: bool = Field(description="Approved and unchanged since: it may be launched.")
    changed_since_approval: bool
    reviewed_by: str | None
    reviewed_at: datetime | None
    comment: str | None
    explanation: str

    @classmethod
    def of(cls, review: Review) -> ReviewOut:
        return cls(
            required=review.required,
            state=review.state,
            approved=review.approved,
            changed_since_approval=review.changed,
            reviewed_by=review.reviewed_by,
            reviewed_at=review.reviewed_at,
            comment=review.comment,
            explanation=review.explanation(),
        )


class ReturnIn(BaseModel):
    """What should change before the campaign is submitted again."""

    model_config = ConfigDict(extra="forbid")

    comment: str = Field(max_length=2000)


class ApproveIn(BaseModel):
    """Optionally, the fingerprint of the campaign as the approver saw it (``review``'s
    ``fingerprint`` on the campaign): the approval is refused (409) if it changed since."""

    model_config = ConfigDict(extra="forbid")

    fingerprint: str | None = Field(default=None, max_length=64)


class CampaignOut(BaseModel):
    """A campaign: its audience as stored (narrowed to its creator's scope), its waves."""

    id: int
    name: str
    status: CampaignStatus
    timezone: str
    send_window: str
    goal_url: str
    audience: dict[str, list[str]]
    audience_size: int
    scope_faculty: str | None
    scope_advisor: str | None
    created_by: str | None
    created_at: datetime
    launched_at: datetime | None
    finished_at: datetime | None
    waves: list[WaveOut]
    review: ReviewOut
    fingerprint: str = Field(description="What an approval covers, as it is now.")

    @classmethod
    def of(
        cls, campaign: Campaign, audience_size: int, review: Review, fingerprint: str
    ) -> CampaignOut:
        return cls(
            **_campaign_fields(campaign),
            review=ReviewOut.of(review),
            fingerprint=fingerprint,
            send_window=str(SendWindow.of(campaign)),
            goal_url=campaign.goal_url,
            audience={key: list(values) for key, values in campaign.audience.items()},
            audience_size=audience_size,
            waves=[WaveOut.of(wave) for wave in campaign.waves],
        )


class ValidationOut(BaseModel):
    """A definition checked without storing anything."""

    valid: bool
    problems: list[FieldErrorOut]
    audience_size: int | None = Field(
        description="Geçerliyse kitle / students the audience covers, when valid."
    )


# --- preview and test sends ------------------------------------------------------------------


class PartOut(BaseModel):
    part: str
    source: str | None
    text: str | None
    error: str | None


class SmsInfoOut(BaseModel):
    encoding: str
    characters: int
    units: int
    segments: int


class WhatsAppTemplateOut(BaseModel):
    content_sid: str | None
    variables: dict[str, str]
    error: str | None


class ChannelPreviewOut(BaseModel):
    channel: Channel
    parts: list[PartOut]
    sms: SmsInfoOut | None
    whatsapp_template: WhatsAppTemplateOut | None

    @classmethod
    def of(cls, preview: ChannelPreview) -> ChannelPreviewOut:
        sms = preview.sms
        template = preview.whatsapp_template
        return cls(
            channel=preview.channel,
            parts=[
                PartOut(part=p.part, source=p.source, text=p.text, error=p.error)
                for p in preview.parts
            ],
            sms=None
            if sms is None
            else SmsInfoOut(
                encoding=sms.encoding,
                characters=sms.characters,
                units=sms.units,
                segments=sms.segments,
            ),
            whatsapp_template=None
            if template is None
            else WhatsAppTemplateOut(
                content_sid=template.content_sid,
                variables=dict(template.variables),
                error=template.error,
            ),
        )


class PreviewOut(BaseModel):
    """A wave's messages rendered for one student; nothing is sent."""

    campaign_id: int
    campaign_name: str
    wave_name: str
    template: str
    student_no: str
    full_name: str
    language: str
    link: str
    channels: list[ChannelPreviewOut]
    errors: list[str]

    @classmethod
    def of(cls, preview: WavePreview) -> PreviewOut:
        return cls(
            campaign_id=preview.campaign_id,
            campaign_name=preview.campaign_name,
            wave_name=preview.wave_name,
            template=preview.template,
            student_no=preview.student_no,
            full_name=preview.full_name,
            language=preview.language,
            link=preview.link,
            channels=[ChannelPreviewOut.of(channel) for channel in preview.channels],
            errors=preview.errors,
        )


class TrialSendIn(BaseModel):
    """Whose data fills the message and on which of the wave's channels it goes."""

    model_config = ConfigDict(extra="forbid")

    student_no: str | None = Field(
        default=None,
        min_length=1,
        max_length=32,
        pattern=NO_NUL,
        description="Öğrenci no; yoksa kitledeki ilk öğrenci / student number; by default the "
        "first student of the audience within your scope.",
    )
    channel: Channel | None = Field(
        default=None, description="Yoksa dalganın ilk kanalı / by default the wave's first."
    )


class TrialSendOut(BaseModel):
    campaign_id: int
    wave: str
    channel: Channel
    student_no: str
    to: str = Field(description="Sizin adresiniz / your own address.")
    provider: str
    provider_message_id: str
    audit_id: int

    @classmethod
    def of(cls, result: TrialResult) -> TrialSendOut:
        return cls(
            campaign_id=result.campaign_id,
            wave=result.wave,
            channel=result.channel,
            student_no=result.student_no,
            to=result.to,
            provider=result.provider,
            provider_message_id=result.provider_message_id,
            audit_id=result.audit_id,
        )


class FindingOut(BaseModel):
    """One check: ``ok``, ``warning`` (sending works, but read this) or ``error`` (fix it
    before launching)."""

    level: Literal["ok", "warning", "error"]
    subject: str
    text: str


class WaveForecastOut(BaseModel):
    """What a wave will do if the campaign is launched now."""

    wave: str
    starts_at: datetime
    sends_from: datetime
    waits_for_window: bool
    by_channel: dict[str, int]
    skipped: dict[str, int]
    cost: Decimal
    closed: str | None = Field(
        default=None, description="Why its start is a closed day (holiday, exam week)."
    )


class PreflightOut(BaseModel):
    """The checks every launch runs, and its forecast."""

    ok: bool
    findings: list[FindingOut]
    waves: list[WaveForecastOut]
    first_message: datetime | None
    cost: Decimal
    currency: str

    @classmethod
    def of(cls, checked: Preflight) -> PreflightOut:
        return cls(
            ok=not checked.errors,
            findings=[FindingOut(**asdict(f)) for f in checked.findings],
            waves=[
                WaveForecastOut(**asdict(w), waits_for_window=w.waits_for_window)
                for w in checked.waves
            ],
            first_message=checked.first_message,
            cost=checked.cost,
            currency=checked.currency,
        )


class LaunchOut(CampaignOut):
    """The launched campaign, with what its checks said (warnings included)."""

    preflight: PreflightOut


class ClosedDayIn(BaseModel):
    """Days nothing is sent: for the whole university, or for one faculty."""

    model_config = ConfigDict(extra="forbid")

    first_day: date
    last_day: date | None = Field(None, description="Yoksa tek gün / one day when missing.")
    reason: str = Field(max_length=200, pattern=NO_NUL, examples=["Final sınavları"])
    faculty: str | None = Field(None, max_length=255, pattern=NO_NUL)


class ClosedSpanOut(BaseModel):
    """Consecutive closed days with one reason."""

    id: int | None = Field(description="Yeniden açmak için / to reopen (kept days only).")
    first_day: date
    last_day: date
    reason: str
    kind: Literal["holiday", "settings", "university", "faculty"]
    faculty: str | None
    created_by: str | None

    @classmethod
    def of(cls, span: ClosedSpan) -> ClosedSpanOut:
        return cls(
            id=span.id,
            first_day=span.first,
            last_day=span.last,
            reason=span.reason,
            kind=span.kind,
            faculty=span.faculty,
            created_by=span.created_by,
        )
