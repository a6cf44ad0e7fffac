"""``campaigns campaign``: create campaigns from files, inspect them, move them along."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from sqlalchemy.orm import Session

from campaigns.cli import context
from campaigns.cli.checks import print_preflight
from campaigns.cli.output import (
    TableFormat,
    TableOutput,
    Yes,
    confirm,
    console,
    emit_json,
    emit_table,
    err_console,
)
from campaigns.core.actors import Actor
from campaigns.core.durations import format_duration
from campaigns.core.errors import UnreadableFileError
from campaigns.core.models import Campaign, CampaignStatus, Wave, WaveStatus, utcnow
from campaigns.definitions import drafts, lifecycle
from campaigns.definitions.send_window import SendWindow
from campaigns.delivery.adapter_pool import adapter_env
from campaigns.governance import approval
from campaigns.planning import launching
from campaigns.planning.heartbeats import SCHEDULER, last_beat
from campaigns.planning.launching import PreflightFailed
from campaigns.students.audience import count_campaign_audience

app = typer.Typer(no_args_is_help=True)

CampaignId = Annotated[int, typer.Argument(metavar="ID", help="Kampanya numarası / campaign id.")]


@app.command()
def create(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE.toml", dir_okay=False, help="Kampanya dosyası / campaign file (TOML)."
        ),
    ],
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Yalnızca doğrula, kaydetme / validate only, store nothing."
        ),
    ] = False,
    output: TableOutput = TableFormat.table,
) -> None:
    """Dosyayı doğrula ve taslak kampanya olarak kaydet / validate a file, store a draft.

    Every problem in the file is listed at once with its key path (e.g. waves[1].channels[0]).
    """
    text = _read(file)
    settings = context.settings()
    actor = Actor.operator()
    with context.db().session() as session:
        make = drafts.draft if dry_run else drafts.create
        campaign = make(session, actor, text, settings=settings)
        data = campaign_data(session, campaign)
    if output is TableFormat.json:
        emit_json({"dry_run": dry_run, **data})
        return
    if dry_run:
        console.print(
            "Tanım geçerli, hiçbir şey kaydedilmedi / definition is valid, nothing stored"
        )
    else:
        console.print(f"Kampanya oluşturuldu / campaign created: {data['id']} (taslak / draft)")
    _print_campaign(data)


@app.command("list")
def list_(output: TableOutput = TableFormat.table) -> None:
    """Kampanyaları listele / list campaigns."""
    with context.db().session() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": campaign.id,
                "name": campaign.name,
                "status": campaign.status.value,
                "timezone": campaign.timezone,
                "waves": len(campaign.waves),
                "created_at": campaign.created_at,
                "launched_at": campaign.launched_at,
            }
            for campaign in lifecycle.list_campaigns(session)
        ]
    if output is TableFormat.json:
        emit_json(rows)
        return
    columns = ["id", "name", "status", "waves", "created_at", "launched_at"]
    local_rows = [
        {
            **row,
            "status": _status(row["status"]),
            "created_at": _local(row["created_at"], row["timezone"]),
            "launched_at": _local(row["launched_at"], row["timezone"]),
        }
        for row in rows
    ]
    emit_table(columns, local_rows, title="Kampanyalar / campaigns", headings=LIST_HEADINGS)


@app.command()
def show(campaign_id: CampaignId, output: TableOutput = TableFormat.table) -> None:
    """Kampanyayı, kitlesini ve dalgalarını göster / show a campaign, its audience and waves.

    Wave start times are shown in the campaign's own time zone.
    """
    with context.db().session() as session:
        data = campaign_data(session, lifecycle.get_campaign(session, campaign_id))
    if output is TableFormat.json:
        emit_json(data)
    else:
        _print_campaign(data)


@app.command()
def launch(
    campaign_id: CampaignId,
    yes: Yes = False,
    output: TableOutput = TableFormat.table,
) -> None:
    """Taslak kampanyayı denetle ve başlat / check and launch a draft campaign.

    The checks of `campaigns check` run first: nothing starts while one fails. Then it says
    what will happen (students per channel, estimated cost, when the first message leaves)
    and asks before launching. Waves given as an offset are scheduled from now.
    """
    settings = context.settings()
    database = context.db()
    env = adapter_env(settings)
    actor = Actor.operator()
    if not yes:
        checked = launching.check(
            database, settings, env, actor, campaign_id, now=utcnow(), draft=True
        )
        print_preflight(checked)
        if checked.errors:
            raise PreflightFailed(checked.errors)
        confirm(f"Kampanya {campaign_id} başlatılsın mı? / Launch campaign {campaign_id}?")
    launched = launching.launch(database, settings, env, actor, campaign_id, now=utcnow())
    with database.session() as session:
        data = campaign_data(session, lifecycle.get_campaign(session, launched.campaign.id))
    for warning in launched.preflight.warnings if yes else []:
        err_console.print(f"uyarı / warning: {warning.subject}: {warning.text}", markup=False)
    _report(data, output, "başlatıldı", "launched")


@app.command()
def pause(campaign_id: CampaignId, output: TableOutput = TableFormat.table) -> None:
    """Etkin kampanyayı duraklat / pause an active campaign."""
    with context.db().session() as session:
        campaign = launching.pause(session, Actor.operator(), campaign_id)
        data = campaign_data(session, campaign)
    _report(data, output, "duraklatıldı", "paused")


@app.command()
def resume(campaign_id: CampaignId, output: TableOutput = TableFormat.table) -> None:
    """Duraklatılmış kampanyayı sürdür / resume a paused campaign."""
    with context.db().session() as session:
        campaign = launching.resume(session, context.settings(), Actor.operator(), campaign_id)
        data = campaign_data(session, campaign)
    _report(data, output, "sürdürülüyor", "resumed")


@app.command()
def cancel(campaign_id: CampaignId, output: TableOutput = TableFormat.table) -> None:
    """Kampanyayı iptal et / cancel a campaign for good.

    Waves not yet done and messages not yet sent are cancelled; this cannot be undone.
    """
    with context.db().session() as session:
        campaign = launching.cancel(session, Actor.operator(), campaign_id, now=utcnow())
        data = campaign_data(session, campaign)
    _report(data, output, "iptal edildi", "cancelled")


@app.command()
def submit(campaign_id: CampaignId, output: TableOutput = TableFormat.table) -> None:
    """Taslağı onaya gönder / submit a draft for approval.

    Needed when an advisor's campaign is in a faculty that asks for approval
    (CAMPAIGNS_APPROVAL_REQUIRED); a coordinator of the faculty or the alumni office approves.
    """
    with context.db().session() as session:
        campaign = approval.submit(
            session, context.settings(), Actor.operator(), campaign_id, now=utcnow()
        )
        data = campaign_data(session, campaign)
    _report(data, output, "onaya gönderildi", "submitted for approval")


@app.command()
def approve(
    campaign_id: CampaignId,
    yes: Yes = False,
    output: TableOutput = TableFormat.table,
) -> None:
    """Onay bekleyen kampanyayı onayla / approve a campaign waiting for approval.

    Shows the campaign and its launch checklist (audience, channels, cost, first message)
    first; what is approved is the campaign as shown.
    """
    settings = context.settings()
    database = context.db()
    actor = Actor.operator()
    with database.session() as session:
        campaign = lifecycle.get_campaign(session, campaign_id)
        seen = approval.fingerprint(session, campaign)
        data = campaign_data(session, campaign)
    if not yes:
        _print_campaign(data)
        env = adapter_env(settings)
        print_preflight(launching.check(database, settings, env, actor, campaign_id, now=utcnow()))
        confirm(f"Kampanya {campaign_id} onaylansın mı? / Approve campaign {campaign_id}?")
    with database.session() as session:
        campaign = approval.approve(session, actor, campaign_id, now=utcnow(), seen=seen)
        data = campaign_data(session, campaign)
    _report(data, output, "onaylandı", "approved")


@app.command("return")
def return_(
    campaign_id: CampaignId,
    comment: Annotated[
        str,
        typer.Option(
            "--comment", help="Neyin değişmesi gerektiği / what should change (required)."
        ),
    ],
    output: TableOutput = TableFormat.table,
) -> None:
    """Kampanyayı yorumla geri gönder / return a campaign to its creator with a comment."""
    with context.db().session() as session:
        campaign = approval.return_for_changes(
            session, Actor.operator(), campaign_id, comment, now=utcnow()
        )
        data = campaign_data(session, campaign)
    _report(data, output, "geri gönderildi", "returned")


@app.command()
def waiting(output: TableOutput = TableFormat.table) -> None:
    """Onay bekleyen kampanyalar / campaigns waiting for approval."""
    with context.db().session() as session:
        rows: list[dict[str, Any]] = [
            {
                "id": campaign.id,
                "name": campaign.name,
                "created_by": campaign.created_by,
                "submitted_at": campaign.submitted_at,
                "audience_size": count_campaign_audience(session, campaign),
            }
            for campaign in approval.waiting_for(session, Actor.operator())
        ]
    if output is TableFormat.json:
        emit_json(rows)
        return
    zone = context.settings().timezone
    local = [{**row, "submitted_at": _local(row["submitted_at"], zone)} for row in rows]
    emit_table(
        ["id", "name", "created_by", "submitted_at", "audience_size"],
        local,
        title="Onay bekleyenler / waiting for approval",
        headings=WAITING_HEADINGS,
    )


def campaign_data(session: Session, campaign: Campaign) -> dict[str, Any]:
    """A campaign as plain data: times in UTC, plus wave starts in the campaign's time zone."""
    return {
        "id": campaign.id,
        "name": campaign.name,
        "status": campaign.status.value,
        "timezone": campaign.timezone,
        "send_window": str(SendWindow.of(campaign)),
        "goal_url": campaign.goal_url,
        "audience": campaign.audience,
        "audience_size": count_campaign_audience(session, campaign),
        "created_at": campaign.created_at,
        "launched_at": campaign.launched_at,
        "finished_at": campaign.finished_at,
        "scope": {"faculty": campaign.scope_faculty, "advisor": campaign.scope_advisor},
        "review": _review_data(approval.review_of(session, context.settings(), campaign)),
        "scheduler_last_tick": last_beat(session, SCHEDULER),
        "waves": [_wave_data(wave, campaign.timezone) for wave in campaign.waves],
    }


def _review_data(review: approval.Review) -> dict[str, Any]:
    return {
        "required": review.required,
        "state": review.state,
        "approved": review.approved,
        "changed_since_approval": review.changed,
        "reviewed_by": review.reviewed_by,
        "reviewed_at": review.reviewed_at,
        "comment": review.comment,
        "explanation": review.explanation(),
    }


def _wave_data(wave: Wave, timezone: str) -> dict[str, Any]:
    return {
        "position": wave.position,
        "name": wave.name,
        "status": wave.status.value,
        "offset": None if wave.offset_seconds is None else format_duration(wave.offset_seconds),
        "start_at": wave.start_at,
        "start_local": _local(wave.start_at, timezone),
        "channels": list(wave.channels),
        "template": wave.template,
        "only_unconverted": wave.only_unconverted,
        "options": wave.options,
        "hold_reason": wave.hold_reason,
    }


def _print_campaign(data: dict[str, Any]) -> None:
    zone = data["timezone"]
    fields = [
        ("id", data["id"]),
        ("ad / name", data["name"]),
        ("durum / status", _status(data["status"])),
        ("kapsam / scope", _scope(data["scope"])),
        ("onay / approval", data["review"]["explanation"]),
        ("saat dilimi / time zone", zone),
        ("gönderim aralığı / send window", data["send_window"]),
        ("hedef / goal", data["goal_url"]),
        ("oluşturuldu / created", _local(data["created_at"], zone)),
        ("başlatıldı / launched", _local(data["launched_at"], zone)),
        ("bitti / finished", _local(data["finished_at"], zone)),
    ]
    emit_table(
        ["alan / field", "değer / value"],
        [{"alan / field": name, "değer / value": value} for name, value in fields],
    )
    criteria = [
        {"ölçüt / criterion": AUDIENCE_NAMES.get(key, key), "değerler / values": ", ".join(values)}
        for key, values in data["audience"].items()
        if values
    ]
    emit_table(
        ["ölçüt / criterion", "değerler / values"],
        criteria,
        title=f"Kitle / audience: {data['audience_size']}",
    )
    emit_table(
        [
            "#",
            "ad / name",
            "başlangıç / start",
            "kanallar / channels",
            "şablon / template",
            "yalnız kayıtsız / only unconverted",
            "durum / status",
        ],
        [
            {
                "#": wave["position"],
                "ad / name": wave["name"],
                "başlangıç / start": wave["start_local"]
                or f"başlatma + {wave['offset']} / launch + {wave['offset']}",
                "kanallar / channels": " → ".join(wave["channels"]),
                "şablon / template": wave["template"],
                "yalnız kayıtsız / only unconverted": "evet / yes"
                if wave["only_unconverted"]
                else "hayır / no",
                "durum / status": _wave_status(wave["status"]),
            }
            for wave in data["waves"]
        ],
        title="Dalgalar / waves",
    )
    for wave in data["waves"]:
        if wave["hold_reason"]:
            console.print(
                f"[yellow]![/yellow] {escape(wave['name'])} gönderemiyor / cannot send: "
                f"{escape(wave['hold_reason'])} — 'campaigns check'",
                highlight=False,
            )
    last = data["scheduler_last_tick"]
    if data["status"] == "active" and last is None:
        console.print(
            "[yellow]![/yellow] zamanlayıcı hiç çalışmadı: 'campaigns run' başlatın / the "
            "scheduler never ran: start 'campaigns run'",
            highlight=False,
        )


def _report(data: dict[str, Any], output: TableFormat, turkish: str, english: str) -> None:
    if output is TableFormat.json:
        emit_json(data)
        return
    console.print(
        f"Kampanya {data['id']} {turkish} / campaign {data['id']} {english} "
        f"({escape(data['status'])})",
        highlight=False,
    )


LIST_HEADINGS = {
    "name": "ad\nname",
    "status": "durum\nstatus",
    "waves": "dalga\nwaves",
    "created_at": "oluşturuldu\ncreated",
    "launched_at": "başlatıldı\nlaunched",
}
WAITING_HEADINGS = {
    "name": "ad\nname",
    "created_by": "hazırlayan\ncreated by",
    "submitted_at": "gönderildi\nsubmitted",
    "audience_size": "kitle\naudience",
}
AUDIENCE_NAMES = {
    "graduation_terms": "dönem / term",
    "faculties": "fakülte / faculty",
    "departments": "bölüm / department",
    "degrees": "düzey / degree",
    "advisor_emails": "danışman / advisor",
}


def _status(value: str) -> str:
    return f"{lifecycle.STATUS_NAMES[CampaignStatus(value)]} / {value}"


def _wave_status(value: str) -> str:
    return f"{lifecycle.WAVE_STATUS_NAMES[WaveStatus(value)]} / {value}"


def _scope(scope: dict[str, str | None]) -> str:
    parts = [value for value in (scope["faculty"], scope["advisor"]) if value]
    return ", ".join(parts) or "tüm üniversite / the whole university"


def _local(moment: datetime | None, timezone: str) -> str | None:
    """``moment`` on the campaign's clock, e.g. ``2025-06-02 09:00 +03``."""
    if moment is None:
        return None
    return moment.astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%d %H:%M %Z")


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFileError(
            f"dosya UTF-8 değil: {path} / the file is not UTF-8: {path}"
        ) from None
    except OSError as exc:
        raise UnreadableFileError(
            f"dosya okunamadı: {path} ({exc.strerror}) / cannot read the file: {path}"
        ) from None
