"""``campaigns preview``."""

from __future__ import annotations

import dataclasses
from typing import Annotated

import typer
from rich.panel import Panel
from rich.text import Text

from campaigns.cli import context
from campaigns.cli.output import TableFormat, console, emit_json, err_console
from campaigns.core.actors import Actor
from campaigns.delivery.preview import ChannelPreview, PartPreview, WavePreview, preview_for
from channels.gsm import SmsInfo


def preview(
    campaign: Annotated[
        int, typer.Option("--campaign", help="Kampanya numarası / campaign id.", min=1)
    ],
    wave: Annotated[str, typer.Option("--wave", help="Dalganın adı / wave name.")],
    student: Annotated[
        str | None,
        typer.Option(
            "--student",
            help="Öğrenci numarası; yoksa kitledeki ilk öğrenci / student number; by default "
            "the first student of the audience.",
        ),
    ] = None,
    output_format: Annotated[
        TableFormat,
        typer.Option(
            "--format", help="Çıktı: paneller veya JSON / output: panels (table) or JSON."
        ),
    ] = TableFormat.table,
) -> None:
    """Bir dalganın mesajlarını bir öğrenci için gösterir / render a wave's messages for one
    student, every part of every channel, without sending anything."""
    with context.db().session() as session:
        result = preview_for(
            session,
            context.settings(),
            Actor.operator(),
            campaign_id=campaign,
            wave_name=wave,
            student_no=student,
        )
    if output_format is TableFormat.json:
        emit_json(dataclasses.asdict(result))
    else:
        _print(result)
    if result.errors:
        err_console.print(
            Text(
                f"{len(result.errors)} bölüm oluşturulamadı / part(s) could not be rendered",
                style="red",
            )
        )
        raise typer.Exit(1)


def sms_line(info: SmsInfo) -> str:
    """``UCS-2 · 143 karakter / characters · 3 segment(s)``."""
    return f"{info.encoding} · {info.characters} karakter / characters · {info.segments} segment(s)"


def _print(result: WavePreview) -> None:
    # Every value is data, never markup: Text objects print "[b]" as typed.
    console.print(
        Text.assemble(
            ("Kampanya / campaign: ", "bold"),
            f"{result.campaign_name} (#{result.campaign_id})\n",
            ("Dalga / wave: ", "bold"),
            f"{result.wave_name} · şablon / template: {result.template}\n",
            ("Öğrenci / student: ", "bold"),
            f"{result.full_name} ({result.student_no}) · dil / language: {result.language}\n",
            ("Bağlantı / link: ", "bold"),
            result.link,
        )
    )
    for channel in result.channels:
        for part in channel.parts:
            console.print(_part_panel(channel, part))
        if channel.sms is not None:
            console.print(Text(sms_line(channel.sms), style="dim"))
        template = channel.whatsapp_template
        if template is not None:
            body = Text(f"content_sid: {template.content_sid or '—'}\n")
            for key, value in template.variables.items():
                body.append(f"{{{{{key}}}}} = {value}\n")
            if template.error:
                body.append(template.error, style="red")
            body.rstrip()
            console.print(
                Panel(
                    body,
                    title=Text("whatsapp · onaylı şablon / approved template"),
                    title_align="left",
                    border_style="red" if template.error else "green",
                )
            )


def _part_panel(channel: ChannelPreview, part: PartPreview) -> Panel:
    title = Text(f"{channel.channel.value} · {part.part} · {part.source or '—'}")
    if part.error is not None:
        return Panel(
            Text(part.error, style="red"), title=title, title_align="left", border_style="red"
        )
    return Panel(Text(part.text or ""), title=title, title_align="left", border_style="blue")
