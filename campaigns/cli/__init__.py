"""The ``campaigns`` command line. Commands parse input, call one service, format the output."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable
from typing import Any

import typer
import typer.main
from rich.markup import escape

from campaigns.cli.output import err_console
from campaigns.core import redacted_errors
from campaigns.core.errors import CampaignsError

app = typer.Typer(
    name="campaigns",
    help="Mezun Bilgi Sistemi kayıt kampanyaları / alumni registration campaigns.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _register() -> None:
    from campaigns.cli import (
        audit_log,
        calendar,
        campaign,
        checks,
        conversions,
        demo,
        evidence,
        messages,
        preview,
        providers,
        purge,
        report,
        scheduling,
        serving,
        students,
        suppressions,
        users,
    )
    from campaigns.cli import db as db_commands

    app.add_typer(db_commands.app, name="db")
    app.add_typer(students.app, name="students", help="Mezun adayı listeleri / student lists.")
    app.add_typer(campaign.app, name="campaign", help="Kampanyalar / campaigns.")
    app.add_typer(conversions.app, name="conversions", help="Kayıt olanlar / conversions.")
    app.add_typer(messages.app, name="messages", help="Sonucu belirsiz mesajlar / lost outcomes.")
    app.add_typer(suppressions.app, name="suppressions", help="Engelli adresler / suppressions.")
    app.add_typer(
        providers.app, name="providers", help="Sağlayıcı payları / providers' shares, failover."
    )
    app.add_typer(calendar.app, name="calendar", help="Kapalı günler / closed days.")
    app.add_typer(users.app, name="users", help="API kullanıcıları / API users and tokens.")
    students.app.command("purge", help=purge.PURGE_HELP)(purge.purge)
    app.command("audit")(audit_log.audit)
    app.command("check")(checks.check)
    app.command("demo")(demo.demo)
    app.command("evidence")(evidence.evidence)
    app.command("preview")(preview.preview)
    app.command("report")(report.report)
    app.command("run")(scheduling.run)
    app.command("tick")(scheduling.tick)
    app.command("serve")(serving.serve)
    app.command("simulate-providers")(serving.simulate_providers)


_register()


HELP_TEXT = "Bu yardımı göster / show this help and exit."


def command() -> Any:
    """The command line as people read its help: flags without a type after them, lists
    by what they hold (not ``<bool>``, ``<list[str]>``), the help option in Turkish too.
    (Typer's click objects, walked once: their classes are Typer's own.)"""
    root = typer.main.get_command(app)
    pending: list[Any] = [root]
    while pending:
        current = pending.pop()
        pending.extend(getattr(current, "commands", {}).values())
        current.get_help_option = _localised_help(current.get_help_option)
        options: list[Any] = [p for p in current.params if p.param_type_name == "option"]
        for param in options:
            if param.is_flag:
                param.metavar = ""
            elif param.multiple and param.metavar is None:
                number = "int" in param.bare_type()
                param.metavar = "N …" if number else "METİN/TEXT …"
    return root


def _localised_help(make: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The command's --help option, made by click, said in Turkish too and without a type."""

    def localised(ctx: Any) -> Any:
        option = make(ctx)
        if option is not None:
            option.help = HELP_TEXT
            option.metavar = ""
        return option

    return localised


def main() -> None:
    """Entry point: user errors go to stderr with a non-zero exit code, never a traceback."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    redacted_errors.install()
    try:
        command()(prog_name="campaigns")
    except CampaignsError as exc:
        err_console.print(f"[red]hata / error:[/red] {escape(str(exc))}", highlight=False)
        sys.exit(exc.exit_code)
