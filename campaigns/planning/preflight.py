"""Checks before anything is sent, and what a launch will do.

``check_setup`` lists every problem of the installation at once: the database and the broker
answer, each channel's adapter can be built, real providers are not given the example public
URL or sender address, no ``CAMPAIGNS_*`` variable is a typo, a scheduler is running.
``preflight`` adds a campaign's own checks (start times passed since it was created) and its
forecast: how many students on which channel, the estimated cost, when the first message
leaves. Every launch runs it (``campaigns.planning.launching``); ``campaigns check`` shows it.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Final, Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from campaigns.core.db import Database
from campaigns.core.dispatch import celery_client
from campaigns.core.models import Campaign, Student, Wave, WaveStatus
from campaigns.core.settings import Settings
from campaigns.definitions import lifecycle
from campaigns.definitions.send_window import SendWindow
from campaigns.delivery.costs import estimate_cost
from campaigns.delivery.preview import preview_wave
from campaigns.governance import approval, privacy
from campaigns.governance.calendar import AcademicCalendar
from campaigns.planning.heartbeats import SCHEDULER, last_beat
from campaigns.planning.plan_wave import forecast_wave
from campaigns.students.audience import campaign_condition
from campaigns.tracking.links import message_link
from channels.base import Channel, ChannelAdapter
from channels.gsm import sms_info
from channels.mime import DEFAULT_FROM
from channels.registry import available, load

Level = Literal["ok", "warning", "error"]

# The test suite's own variables: not settings, not typos.
TEST_VARIABLES: Final = frozenset(
    {"CAMPAIGNS_TEST_POSTGRES_URL", "CAMPAIGNS_TEST_REDIS_URL", "CAMPAIGNS_SCREENSHOTS"}
)
EXAMPLE_PUBLIC_URL: Final = str(Settings.model_fields["public_url"].default)
STALE_TICKS: Final = 3
"""A scheduler silent for this many periods is taken as not running."""


@dataclass(frozen=True, slots=True)
class Finding:
    """One line of a check: what was looked at, and what a person should know or do."""

    level: Level
    subject: str
    text: str


@dataclass(frozen=True, slots=True)
class WaveForecast:
    """What a wave will do if the campaign is launched now."""

    wave: str
    starts_at: datetime
    sends_from: datetime
    by_channel: Mapping[str, int]
    skipped: Mapping[str, int]
    cost: Decimal
    closed: str | None = None
    """Why the wave's start is a closed day (a holiday, exam week), when it is."""

    @property
    def waits_for_window(self) -> bool:
        return self.sends_from > self.starts_at


@dataclass(frozen=True, slots=True)
class Preflight:
    """Everything to know before a campaign is launched."""

    findings: list[Finding]
    waves: list[WaveForecast] = field(default_factory=list)
    currency: str = ""
    timezone: str = ""
    window: str = ""

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "error"]

    @property
    def warnings(self) -> list[Finding]:
        return [f for f in self.findings if f.level == "warning"]

    @property
    def first_message(self) -> datetime | None:
        sending = [w.sends_from for w in self.waves if sum(w.by_channel.values())]
        return min(sending) if sending else None

    @property
    def cost(self) -> Decimal:
        return sum((w.cost for w in self.waves), Decimal(0))


def check_setup(
    db: Database,
    settings: Settings,
    env: Mapping[str, str],
    *,
    now: datetime,
    channels: Iterable[Channel] | None = None,
) -> list[Finding]:
    """Every problem of the installation at once (see the module); ``channels`` limits the
    adapters checked to those a campaign uses."""
    findings = [_database(db), _broker(settings)]
    findings += _unknown_variables(env)
    checked = list(Channel) if channels is None else list(channels)
    findings += [_channel(settings, env, channel) for channel in checked]
    findings.append(_scheduler(db, settings, now))
    return findings


def preflight(
    db: Database, settings: Settings, env: Mapping[str, str], campaign_id: int, *, now: datetime
) -> Preflight:
    """``check_setup`` for the channels a campaign uses, its start times, its forecast."""
    with db.session() as session:
        campaign = lifecycle.get_campaign(session, campaign_id)
        used = sorted({Channel(c) for wave in campaign.waves for c in wave.channels})
        findings = check_setup(db, settings, env, now=now, channels=used)
        findings += _past_starts(campaign, now)
        findings += _approval(session, settings, campaign)
        findings += _privacy(settings, campaign)
        return forecast(session, settings, campaign, now, findings)


def forecast(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    now: datetime,
    findings: list[Finding] | None = None,
) -> Preflight:
    """What launching ``campaign`` now would do, wave by wave (no installation checks: an
    approver's review shows only this)."""
    calendar = AcademicCalendar.load(session, settings, now.date())
    waves = [
        _forecast(session, settings, calendar, campaign, wave, now)
        for wave in campaign.waves
        if wave.status is WaveStatus.WAITING
    ]
    return Preflight(
        findings or [],
        waves,
        settings.cost_currency,
        campaign.timezone,
        str(SendWindow.of(campaign)),
    )


def _approval(session: Session, settings: Settings, campaign: Campaign) -> list[Finding]:
    review = approval.review_of(session, settings, campaign)
    if not review.required:
        return []
    level: Level = "error" if review.blocks_launch else "ok"
    return [Finding(level, "onay / approval", review.explanation())]


def _privacy(settings: Settings, campaign: Campaign) -> list[Finding]:
    """The campaign's privacy switches, where they are not the usual ones."""
    findings: list[Finding] = []
    if privacy.is_commercial(campaign):
        findings.append(
            Finding(
                "warning",
                "ticari ileti / commercial",
                "yalnız İYS'de ticari ileti onayı kayıtlı öğrencilere gider, diğerleri atlanır "
                "/ only students whose commercial consent is recorded in İYS get it; the "
                "others are skipped",
            )
        )
    if not privacy.tracks_links(settings.link_tracking, campaign):
        findings.append(
            Finding(
                "ok",
                "bağlantı izleme / link tracking",
                "kapalı: bağlantılar doğrudan kayıt sayfasına gider, tıklamalar ölçülmez / "
                "off: links go straight to the registration page, clicks are not measured",
            )
        )
    return findings


# --- the installation ------------------------------------------------------------------------


def _database(db: Database) -> Finding:
    subject = "veritabanı / database"
    try:
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as exc:  # the check's whole point is to say so
        return Finding(
            "error",
            subject,
            f"yanıt vermiyor ({type(exc).__name__}) / does not answer ({type(exc).__name__}): "
            f"CAMPAIGNS_DATABASE_URL",
        )
    return Finding("ok", subject, db.engine.url.render_as_string(hide_password=True))


def _broker(settings: Settings) -> Finding:
    subject = "kuyruk / broker"
    if not settings.broker_url:
        return Finding(
            "ok",
            subject,
            "yok: görevler bu süreçte çalışır (campaigns run) / none: tasks run in this process "
            "(campaigns run)",
        )
    try:
        with celery_client(settings.broker_url).connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:  # the check's whole point is to say so
        return Finding(
            "error",
            subject,
            f"yanıt vermiyor ({type(exc).__name__}) / does not answer ({type(exc).__name__}): "
            "CAMPAIGNS_BROKER_URL",
        )
    return Finding("ok", subject, "yanıt veriyor / answers")


def known_variables() -> frozenset[str]:
    """Every ``CAMPAIGNS_*`` variable something reads: the settings, the adapters'."""
    names = {f"CAMPAIGNS_{name.upper()}" for name in Settings.model_fields}
    for target in available().values():
        try:
            names |= load(target).variables
        except Exception:  # noqa: S112 - an adapter that cannot load is reported elsewhere
            continue
    return frozenset(names | TEST_VARIABLES)


def _unknown_variables(env: Mapping[str, str]) -> list[Finding]:
    known = known_variables()
    findings = []
    for name in sorted(n for n in env if n.startswith("CAMPAIGNS_") and n not in known):
        close = difflib.get_close_matches(name, known, n=1)
        hint_tr = f"; {close[0]} mi demek istediniz?" if close else ""
        hint_en = f"; did you mean {close[0]}?" if close else ""
        findings.append(
            Finding(
                "warning",
                name,
                f"tanınmayan değişken, okunmuyor{hint_tr} / unknown variable, not read{hint_en}",
            )
        )
    return findings


def _channel(settings: Settings, env: Mapping[str, str], channel: Channel) -> Finding:
    name = settings.adapter_for(channel.value)
    subject = f"{channel.value} ({name})"
    try:
        cls = load(name)
        with cls.from_env(env) as adapter:
            if channel not in adapter.channels:
                raise ValueError(f"{name} cannot send {channel.value}")
    except Exception as exc:  # whatever stops the adapter from being built is the finding
        return Finding(
            "error",
            subject,
            f"kanal kullanılamıyor / the channel cannot be used: {exc or type(exc).__name__}",
        )
    if not cls.delivers:
        return _going_nowhere(settings, channel, cls)
    if settings.public_url == EXAMPLE_PUBLIC_URL:
        return Finding(
            "error",
            subject,
            f"CAMPAIGNS_PUBLIC_URL örnek değerinde ({EXAMPLE_PUBLIC_URL}): öğrenci bağlantıları "
            "ve sağlayıcı bildirimleri size ulaşmaz / CAMPAIGNS_PUBLIC_URL is the example "
            f"({EXAMPLE_PUBLIC_URL}): students' links and provider callbacks would not reach you",
        )
    sender = env.get("CAMPAIGNS_EMAIL_FROM", DEFAULT_FROM)
    if channel is Channel.EMAIL and (not sender or sender == DEFAULT_FROM):
        return Finding(
            "error",
            subject,
            f"CAMPAIGNS_EMAIL_FROM örnek adreste ({DEFAULT_FROM}); üniversitenin gönderen "
            f"adresini verin / CAMPAIGNS_EMAIL_FROM is the example address ({DEFAULT_FROM}): "
            "give the university's sender address",
        )
    return Finding("ok", subject, "hazır / ready")


def _going_nowhere(settings: Settings, channel: Channel, cls: type[ChannelAdapter]) -> Finding:
    subject = f"{channel.value} ({cls.name})"
    variable = f"CAMPAIGNS_{channel.value.upper()}_ADAPTER"
    if cls.name == "outbox":
        where_tr = f"{settings.outbox_dir} klasörüne yazılır"
        where_en = f"written to the folder {settings.outbox_dir}"
    else:
        where_tr, where_en = "atılır", "dropped"
    return Finding(
        "warning",
        subject,
        f"mesajlar {where_tr}, kimseye ulaşmaz; gerçek sağlayıcı için {variable} ayarlayın / "
        f"messages are {where_en}: nobody receives them; set {variable} for a real provider",
    )


def _scheduler(db: Database, settings: Settings, now: datetime) -> Finding:
    subject = "zamanlayıcı / scheduler"
    with db.session() as session:
        last = last_beat(session, SCHEDULER)
    if last is None or now - last > timedelta(seconds=STALE_TICKS * settings.tick_seconds):
        since = (
            "hiç çalışmadı / never ran"
            if last is None
            else f"son / last: {last:%Y-%m-%d %H:%M} UTC"
        )
        return Finding(
            "warning",
            subject,
            f"çalışmıyor ({since}); başlatılan kampanyalar bekler: 'campaigns run' ya da Celery "
            f"beat ve bir worker başlatın / not running ({since}): launched campaigns wait; "
            "start 'campaigns run', or Celery beat and a worker",
        )
    return Finding("ok", subject, f"son çalışma / last ran: {last:%Y-%m-%d %H:%M} UTC")


# --- a campaign --------------------------------------------------------------------------------


def _past_starts(campaign: Campaign, now: datetime) -> list[Finding]:
    return [
        Finding(
            "warning",
            f"dalga / wave {wave.name}",
            f"başlangıç zamanı geçmiş ({wave.start_at:%Y-%m-%d %H:%M} UTC): başlatılınca hemen "
            f"gider / its start time has passed ({wave.start_at:%Y-%m-%d %H:%M} UTC): it goes "
            "out as soon as the campaign is launched",
        )
        for wave in campaign.waves
        if wave.status is WaveStatus.WAITING
        and wave.offset_seconds is None
        and wave.start_at is not None
        and wave.start_at < now
    ]


def _forecast(
    session: Session,
    settings: Settings,
    calendar: AcademicCalendar,
    campaign: Campaign,
    wave: Wave,
    now: datetime,
) -> WaveForecast:
    timing = wave_timing(calendar, campaign, wave, now)
    counts = forecast_wave(session, wave, campaign, now)
    return WaveForecast(
        wave=wave.name,
        starts_at=timing.starts_at,
        sends_from=timing.sends_from,
        by_channel=counts.by_channel,
        skipped=counts.skipped,
        cost=_cost(session, settings, campaign, wave, counts.by_channel),
        closed=timing.closed,
    )


@dataclass(frozen=True, slots=True)
class WaveTiming:
    """When a wave starts if launched now, when its first message may leave (the sending
    hours of an open day), and why it waits when its day is closed."""

    starts_at: datetime
    sends_from: datetime
    closed: str | None


def wave_timing(
    calendar: AcademicCalendar, campaign: Campaign, wave: Wave, now: datetime
) -> WaveTiming:
    starts = wave.start_at
    if wave.offset_seconds is not None:
        starts = now + timedelta(seconds=wave.offset_seconds)
    starts = max(starts or now, now)
    window = SendWindow.of(campaign)
    opens = window.next_opening(starts, campaign.timezone)
    return WaveTiming(
        starts,
        calendar.next_open(starts, window, campaign.timezone, campaign.scope_faculty),
        calendar.closed_on(
            opens.astimezone(ZoneInfo(campaign.timezone)).date(), campaign.scope_faculty
        ),
    )


def _cost(
    session: Session,
    settings: Settings,
    campaign: Campaign,
    wave: Wave,
    by_channel: Mapping[str, int],
) -> Decimal:
    """An estimate from the configured tariffs; SMS at the segments of the wave's text for
    the first student it reaches (with a link as long as a tracked one)."""
    cost = Decimal(0)
    for channel in Channel:
        count = by_channel.get(channel.value, 0)
        if count:
            segments = (
                _sms_segments(session, settings, campaign, wave) if channel is Channel.SMS else None
            )
            cost += estimate_cost(settings, channel, segments) * count
    return cost


def _sms_segments(session: Session, settings: Settings, campaign: Campaign, wave: Wave) -> int:
    first = session.scalars(
        select(Student.student_no)
        .where(campaign_condition(session, campaign))
        .order_by(Student.student_no)
        .limit(1)
    ).first()
    if first is None:
        return 1
    shown = preview_wave(
        session, settings, campaign_id=campaign.id, wave_name=wave.name, student_no=first
    )
    tracked = message_link(settings, campaign.goal_url, 10**9, "x" * 16)
    for channel in shown.channels:
        if channel.channel is Channel.SMS and channel.parts and channel.parts[0].text:
            return sms_info(channel.parts[0].text.replace(shown.link, tracked)).segments
    return 1
