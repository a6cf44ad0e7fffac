"""Campaigns from definitions, and their life: draft → active ⇄ paused, → cancelled.

Services take a ``Session`` and leave committing to the caller. ``completed`` is reached
when the scheduler finishes the last wave, never through these functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from sqlalchemy import and_, func, select, update
from sqlalchemy.orm import Session, selectinload

from campaigns.core.actors import Scope
from campaigns.core.db import lock_in_order
from campaigns.core.errors import InvalidDefinitionError, NotFoundError, Problem, StateError
from campaigns.core.models import (
    Campaign,
    CampaignStatus,
    Message,
    MessageStatus,
    Student,
    Wave,
    WaveStatus,
    utcnow,
)
from campaigns.core.rendering import DEFAULT_LANGUAGE, missing_parts
from campaigns.core.settings import Settings
from campaigns.core.turkish_text import clean, fold
from campaigns.definitions.campaign_file import (
    AUDIENCE_KEYS,
    MAX_VALUES,
    MAX_WAVES,
    CampaignDefinition,
    did_you_mean,
    goal_host,
    ordered,
    parse_definition,
    parse_toml,
    valid_template_name,
)
from campaigns.students.audience import (
    AUDIENCE_COLUMNS,
    audience_condition,
    scope_condition,
    spellings,
)
from channels.base import Channel, ConfigurationError
from channels.registry import load as load_adapter

STATUS_NAMES: Final = {
    CampaignStatus.DRAFT: "taslak",
    CampaignStatus.ACTIVE: "etkin",
    CampaignStatus.PAUSED: "duraklatılmış",
    CampaignStatus.CANCELLED: "iptal edilmiş",
    CampaignStatus.COMPLETED: "tamamlanmış",
}
"""Turkish names of campaign statuses."""

WAVE_STATUS_NAMES: Final = {
    WaveStatus.WAITING: "bekliyor",
    WaveStatus.SENDING: "gönderiliyor",
    WaveStatus.DONE: "bitti",
    WaveStatus.CANCELLED: "iptal",
}
"""Turkish names of wave statuses."""


# --- checking and creating -------------------------------------------------------------------


def check_definition(
    session: Session,
    source: str | Mapping[str, Any],
    *,
    settings: Settings,
    scope: Scope | None = None,
    now: datetime | None = None,
) -> CampaignDefinition:
    """Validate a campaign file's text (TOML) or data against the schema, the students in the
    database and the templates on disk; ``InvalidDefinitionError`` lists every problem. Fixed
    start times must lie after ``now`` and waves must follow each other in time.

    Audience values are looked for among the students of the campaign's scope only: the
    caller's ``scope`` when given (a user who may not choose one: a ``scope`` table naming
    another is a problem), else the definition's own ``scope`` table, else everyone."""
    data = parse_toml(source) if isinstance(source, str) else source
    definition: CampaignDefinition | None = None
    problems: list[Problem] = []
    try:
        definition = parse_definition(data, default_timezone=settings.timezone)
    except InvalidDefinitionError as exc:
        problems += exc.problems
    asked = _scope_asked(data)
    if scope is not None and asked is not None and not asked.same_as(scope):
        problems.append(
            Problem(
                "scope",
                "kapsamı yalnızca yöneticiler seçebilir; kampanyanız kendi kapsamınızda olur, "
                "bu tabloyu kaldırın / only administrators choose a campaign's scope: yours is "
                "your own, remove this table",
            )
        )
    elif scope is None and asked is not None:
        wrong = _scope_problems(session, asked)
        problems += wrong
        if wrong:
            asked = None  # audience values are then checked against every student
    # Checked on the raw data too, so a file with a typo elsewhere still gets these reported.
    problems += environment_problems(session, data, settings=settings, scope=scope or asked)
    if definition is not None:
        problems += timing_problems(definition, now or utcnow())
    if problems or definition is None:
        raise InvalidDefinitionError(ordered(problems))
    return definition


def timing_problems(definition: CampaignDefinition, now: datetime) -> list[Problem]:
    """Start times in the past, and waves that would go out before the one listed above
    them (fixed times compared with fixed times, offsets with offsets)."""
    problems: list[Problem] = []
    zone = definition.zone
    last_start: tuple[int, datetime] | None = None
    last_offset: tuple[int, int] | None = None
    for position, wave in enumerate(definition.waves):
        if wave.start is not None:
            local = wave.start.astimezone(zone).strftime("%Y-%m-%d %H:%M")
            if wave.start < now:
                problems.append(
                    Problem(
                        f"waves[{position}].start",
                        f"geçmişte bir zaman: {local} ({definition.timezone}) / "
                        f"a time in the past: {local} ({definition.timezone})",
                    )
                )
            if last_start is not None and wave.start < last_start[1]:
                problems.append(_out_of_order(position, "start", last_start[0]))
            last_start = (position, wave.start)
        if wave.offset is not None:
            if last_offset is not None and wave.offset < last_offset[1]:
                problems.append(_out_of_order(position, "offset", last_offset[0]))
            last_offset = (position, wave.offset)
    return problems


def _out_of_order(position: int, key: str, before: int) -> Problem:
    return Problem(
        f"waves[{position}].{key}",
        f"waves[{before}] dalgasından önce gider; dalgaları gönderilecekleri sırayla yazın / "
        f"goes out before waves[{before}]: list the waves in the order they are sent",
    )


def environment_problems(
    session: Session,
    data: Mapping[str, Any],
    *,
    settings: Settings,
    scope: Scope | None = None,
) -> list[Problem]:
    """Audience values no student (of ``scope``) has and template parts missing on disk,
    found in campaign data that may be otherwise invalid (values of the wrong type are left
    to the schema)."""
    audience = data.get("audience")
    problems = _resolve(session, audience, scope)[1] if isinstance(audience, Mapping) else []
    problems += _goal_problems(data.get("goal_url"), settings.allowed_goal_hosts)
    problems += _approved_template_problems(data.get("waves"), settings)
    return problems + _template_problems(data.get("waves"), settings.templates_dir)


def _approved_template_problems(waves: object, settings: Settings) -> list[Problem]:
    """Waves on a channel whose configured provider delivers only approved templates
    (Twilio's WhatsApp: free text outside a 24-hour conversation fails with 63016) must
    name one."""
    if not isinstance(waves, list) or len(waves) > MAX_WAVES:
        return []
    problems: list[Problem] = []
    for channel in Channel:
        name = settings.adapter_for(channel.value)
        try:
            adapter = load_adapter(name)
        except ConfigurationError:
            continue  # ``campaigns check`` names an adapter that cannot be loaded
        if channel not in adapter.requires_template:
            continue
        for position, wave in enumerate(waves):
            if not isinstance(wave, Mapping) or wave.get(channel.value) is not None:
                continue
            channels = wave.get("channels")
            if isinstance(channels, list) and channel in _channels(channels):
                problems.append(
                    Problem(
                        f"waves[{position}].{channel.value}",
                        f"{name} yalnızca onaylı şablon iletir: [waves.{channel.value}] "
                        "tablosunda content_sid ve variables verin / "
                        f"{name} delivers only an approved template: name it in a "
                        f"[waves.{channel.value}] table (content_sid, variables)",
                    )
                )
    return problems


def _goal_problems(goal_url: object, allowed: frozenset[str]) -> list[Problem]:
    """Tracked links redirect only to the configured hosts: a campaign must not turn the
    university's links into a way to send students anywhere."""
    host = goal_host(goal_url.strip()) if isinstance(goal_url, str) else None
    if host is None or host in allowed:
        return []  # a malformed URL is the schema's to report
    hosts = ", ".join(sorted(allowed))
    return [
        Problem(
            "goal_url",
            f"bu adrese yönlendirilemez: {host!r}; izin verilenler: {hosts} "
            f"(CAMPAIGNS_GOAL_HOSTS) / links may not lead to {host!r}; allowed: {hosts} "
            "(CAMPAIGNS_GOAL_HOSTS)",
        )
    ]


def declared_scope(definition: CampaignDefinition, scope: Scope | None = None) -> Scope:
    """The scope a campaign is declared for: the caller's, else its ``scope`` table, else
    everyone."""
    if scope is not None:
        return scope
    if definition.scope is None:
        return Scope()
    return _scope(definition.scope.faculty, definition.scope.advisor_email)


def build_campaign(
    session: Session,
    definition: CampaignDefinition,
    *,
    settings: Settings,
    scope: Scope | None = None,
) -> Campaign:
    """A draft campaign with its waves, checked but not added to the session, declared for
    ``declared_scope(definition, scope)``."""
    declared = declared_scope(definition, scope)
    if declared.faculty is not None:
        # As the student data spells it ("muhendislik" → "Mühendislik Fakültesi").
        stored = spellings(session, Student.faculty, declared.faculty)
        declared = Scope(stored[0] if stored else declared.faculty, declared.advisor)
    document = definition.to_document()
    audience, problems = _resolve(session, document["audience"], declared)
    problems += _template_problems(document["waves"], settings.templates_dir)
    if problems:
        raise InvalidDefinitionError(ordered(problems))
    window_start, window_end = definition.send_window.to_columns()
    return Campaign(
        name=definition.name,
        status=CampaignStatus.DRAFT,
        timezone=definition.timezone,
        window_start=window_start,
        window_end=window_end,
        goal_url=definition.goal_url,
        audience=audience,
        definition=document,
        scope_faculty=declared.faculty,
        scope_advisor=declared.advisor,
        waves=[
            Wave(
                position=position,
                name=wave.name,
                start_at=wave.start,
                offset_seconds=wave.offset,
                channels=[channel.value for channel in wave.channels],
                template=wave.template,
                only_unconverted=wave.only_unconverted,
                options=wave.options(),
                status=WaveStatus.WAITING,
            )
            for position, wave in enumerate(definition.waves, start=1)
        ],
    )


def _scope(faculty: str | None, advisor: str | None) -> Scope:
    return Scope(clean(faculty) or None, clean(advisor).lower() or None)


def _scope_asked(data: Mapping[str, Any]) -> Scope | None:
    """The ``scope`` table of raw campaign data, when it is one (the schema checks it)."""
    table = data.get("scope")
    if not isinstance(table, Mapping):
        return None
    faculty, advisor = table.get("faculty"), table.get("advisor_email")
    scope = _scope(
        faculty if isinstance(faculty, str) else None,
        advisor if isinstance(advisor, str) else None,
    )
    return None if scope.everyone else scope


def _scope_problems(session: Session, scope: Scope) -> list[Problem]:
    """A chosen scope must name a faculty and an advisor the student data has."""
    problems: list[Problem] = []
    checks: list[tuple[str, Any, str | None, Callable[[str], str]]] = [
        ("faculty", Student.faculty, scope.faculty, fold),
        ("advisor_email", Student.advisor_email, scope.advisor, _lower),
    ]
    for key, column, value, same in checks:
        if value is None:
            continue
        known = sorted(session.scalars(select(column).where(column.is_not(None)).distinct()))
        if not any(same(spelling) == same(value) for spelling in known):
            tr, en = did_you_mean(value, known, key=same)
            problems.append(
                Problem(
                    f"scope.{key}",
                    f"hiçbir öğrencide yok: {value!r}{tr} / no student has {value!r}{en}",
                )
            )
    return problems


def _lower(value: str) -> str:
    return clean(value).lower()


# --- reading ---------------------------------------------------------------------------------


def get_campaign(session: Session, campaign_id: int) -> Campaign:
    """The campaign with this id, or ``NotFoundError``."""
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise _not_found(campaign_id)
    return campaign


def list_campaigns(session: Session) -> list[Campaign]:
    """All campaigns, oldest first, with their waves loaded."""
    query = select(Campaign).options(selectinload(Campaign.waves)).order_by(Campaign.id)
    return list(session.scalars(query))


# --- transitions -----------------------------------------------------------------------------


def launch(session: Session, campaign_id: int, *, now: datetime) -> Campaign:
    """Start a draft: waves given as an offset are scheduled from ``now``."""
    campaign = _transition(session, campaign_id, "launch", {CampaignStatus.DRAFT})
    now = _utc(now)
    campaign.status = CampaignStatus.ACTIVE
    campaign.launched_at = now
    for wave in campaign.waves:
        if wave.offset_seconds is not None:
            wave.start_at = now + timedelta(seconds=wave.offset_seconds)
    session.flush()
    return campaign


def ensure_launchable(session: Session, campaign_id: int) -> Campaign:
    """The campaign if it can be launched (a draft); ``NotFoundError`` or ``StateError``
    otherwise, before any check is run for it."""
    return _transition(session, campaign_id, "launch", {CampaignStatus.DRAFT}, lock=False)


def pause(session: Session, campaign_id: int) -> Campaign:
    """Stop sending until resumed; nothing already planned is lost."""
    campaign = _transition(session, campaign_id, "pause", {CampaignStatus.ACTIVE})
    campaign.status = CampaignStatus.PAUSED
    session.flush()
    return campaign


def resume(session: Session, campaign_id: int) -> Campaign:
    """Continue a paused campaign."""
    campaign = _transition(session, campaign_id, "resume", {CampaignStatus.PAUSED})
    campaign.status = CampaignStatus.ACTIVE
    session.flush()
    return campaign


def cancel(session: Session, campaign_id: int, *, now: datetime) -> Campaign:
    """End a campaign for good: unfinished waves and messages not yet sent are cancelled.

    Messages already handed to a provider (``sending`` and later) are left as they are.
    """
    allowed = {CampaignStatus.DRAFT, CampaignStatus.ACTIVE, CampaignStatus.PAUSED}
    campaign = _transition(session, campaign_id, "cancel", allowed)
    now = _utc(now)
    campaign.status = CampaignStatus.CANCELLED
    campaign.finished_at = now
    for wave in campaign.waves:
        if wave.status in {WaveStatus.WAITING, WaveStatus.SENDING}:
            wave.status = WaveStatus.CANCELLED
            wave.finished_at = now
    session.flush()
    waves = select(Wave.id).where(Wave.campaign_id == campaign.id)
    pending = and_(Message.wave_id.in_(waves), Message.status == MessageStatus.PENDING)
    lock_in_order(session, Message.id, pending)
    session.execute(
        update(Message)
        .where(pending)
        .values(status=MessageStatus.CANCELLED)
        .execution_options(synchronize_session=False)
    )
    return campaign


_ACTIONS: Final = {
    "launch": ("başlatılamaz", "launched"),
    "pause": ("duraklatılamaz", "paused"),
    "resume": ("sürdürülemez", "resumed"),
    "cancel": ("iptal edilemez", "cancelled"),
}


def _transition(
    session: Session,
    campaign_id: int,
    action: str,
    allowed: set[CampaignStatus],
    *,
    lock: bool = True,
) -> Campaign:
    # Locked so that two transitions (or one and the scheduler) cannot interleave.
    campaign = session.get(Campaign, campaign_id, with_for_update=lock, populate_existing=True)
    if campaign is None:
        raise _not_found(campaign_id)
    if campaign.status not in allowed:
        turkish, english = _ACTIONS[action]
        status = campaign.status
        raise StateError(
            f"{campaign_id} numaralı kampanya {STATUS_NAMES[status]} ({status.value}), "
            f"{turkish} / campaign {campaign_id} is {status.value}: it cannot be {english}"
        )
    return campaign


def _not_found(campaign_id: int) -> NotFoundError:
    return NotFoundError(
        f"{campaign_id} numaralı kampanya bulunamadı / campaign {campaign_id} not found"
    )


def _utc(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be time-zone aware")
    return now.astimezone(UTC)


# --- audience and templates ------------------------------------------------------------------


def _resolve(
    session: Session, audience: Mapping[str, Any], scope: Scope | None = None
) -> tuple[dict[str, list[str]], list[Problem]]:
    """Each audience value replaced by the spellings the students of ``scope`` use for it.
    Nothing outside the scope is counted or suggested: to its user, it does not exist."""
    wanted: list[tuple[str, str, str]] = []  # (criterion, location, value as written)
    term = audience.get("graduation_term")
    if isinstance(term, str) and clean(term):
        wanted.append(("graduation_terms", "audience.graduation_term", term))
    for key in AUDIENCE_KEYS:
        values = audience.get(key)
        if isinstance(values, list) and len(values) <= MAX_VALUES:  # more: the schema says so
            wanted += [
                (key, f"audience.{key}[{index}]", value)
                for index, value in enumerate(values)
                if isinstance(value, str) and clean(value)
            ]
    scope = scope or Scope()
    within = scope_condition(session, scope)
    resolved: dict[str, list[str]] = {key: [] for key in AUDIENCE_KEYS}
    problems: list[Problem] = []
    known: dict[str, list[str]] = {}
    nobody = "hiçbir öğrencide yok" if scope.everyone else "kapsamınızdaki hiçbir öğrencide yok"
    no_student = "no student has" if scope.everyone else "no student within your scope has"
    for key, location, value in wanted:
        if key not in known:
            column = AUDIENCE_COLUMNS[key]
            known[key] = sorted(
                session.scalars(select(column).where(column.is_not(None), within).distinct())
            )
        same = _comparison(key)
        matches = [spelling for spelling in known[key] if same(spelling) == same(value)]
        if matches:
            resolved[key] += [m for m in matches if m not in resolved[key]]
            continue
        tr, en = did_you_mean(value, known[key], key=same)
        problems.append(
            Problem(
                location,
                f"{nobody}: {clean(value)!r}{tr} / {no_student} {clean(value)!r}{en}",
            )
        )
    if not problems and any(resolved.values()):
        matching = select(func.count()).where(audience_condition(resolved), within)
        if not session.scalar(matching.select_from(Student)):
            problems.append(
                Problem(
                    "audience",
                    "ölçütlerin hepsine uyan öğrenci yok / no student matches all the criteria",
                )
            )
    return resolved, problems


def _comparison(key: str) -> Callable[[str], str]:
    if key == "advisor_emails":
        return lambda value: clean(value).lower()
    return fold


def _template_problems(waves: object, templates_dir: Path) -> list[Problem]:
    if not isinstance(waves, list) or len(waves) > MAX_WAVES:
        return []
    problems: list[Problem] = []
    for position, wave in enumerate(waves):
        template = wave.get("template") if isinstance(wave, Mapping) else None
        if not isinstance(template, str) or not valid_template_name(template.strip()):
            continue
        template = template.strip()
        location = f"waves[{position}].template"
        if not (templates_dir / template).is_dir():
            problems.append(
                Problem(
                    location, f"şablon bulunamadı: {template!r} / template {template!r} not found"
                )
            )
            continue
        channels = wave.get("channels")
        for channel in _channels(channels if isinstance(channels, list) else []):
            missing = missing_parts(templates_dir, template, channel)
            if missing:
                files = ", ".join(f"{part}.{DEFAULT_LANGUAGE}.j2" for part in missing)
                problems.append(
                    Problem(
                        location,
                        f"{template!r} şablonunda {channel} için eksik dosyalar: {files} / "
                        f"template {template!r} lacks files needed for {channel}: {files}",
                    )
                )
    return problems


def _channels(names: list[object]) -> list[Channel]:
    found: list[Channel] = []
    for name in names:
        if isinstance(name, str) and name.strip().lower() in set(Channel):
            channel = Channel(name.strip().lower())
            if channel not in found:
                found.append(channel)
    return found
