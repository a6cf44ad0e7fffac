"""``campaigns demo``: the whole pipeline on the embedded default, in well under a minute."""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from campaigns.cli.output import console
from campaigns.cli.report import print_report


def demo(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Çalışma klasörü / working folder (default: a new temp one)."),
    ] = None,
    size: Annotated[int, typer.Option(help="Öğrenci sayısı / students in the cohort.")] = 240,
    gap: Annotated[int, typer.Option(help="Dalgalar arası saniye / seconds between waves.")] = 4,
) -> None:
    """Örnek kampanya çalıştır / run a demo campaign: invented students, three waves
    through the real adapters and the provider simulator, clicks and registrations, the
    funnel."""
    # Imported here: the demo brings the HTTP app and the simulator, which other commands
    # do not need to load.
    from campaigns.demo import run_demo

    workdir = directory or Path(tempfile.mkdtemp(prefix="campaigns-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    console.print(f"[bold]Demo[/bold] — {escape(str(workdir))}")
    result = run_demo(workdir, size=size, wave_gap_seconds=gap, say=console.print)
    print_report(result.report)
    print_report(result.by_channel)
    console.print(
        f"Sağlayıcılar {result.accepted_by_providers} mesaj kabul etti, "
        f"{result.callbacks} durum bildirimi gönderdi / the providers accepted "
        f"{result.accepted_by_providers} messages and sent {result.callbacks} status callbacks."
    )
    database = workdir / "demo.db"
    console.print(f"{result.seconds:.1f} s. Veritabanı / database: {escape(str(database))}")
    program = shutil.which("campaigns") or str(Path(sys.executable).parent / "campaigns")
    console.print(
        "Sonuçlara bakmak için / to look around:\n"
        f"  export CAMPAIGNS_DATABASE_URL=sqlite:///{escape(str(database))}\n"
        f"  {escape(program)} report {result.campaign_id} --by channel\n"
        "('campaigns' komutu: make, .venv içine kurar; 'source .venv/bin/activate' ile her "
        "yerden çalışır / make installs the 'campaigns' command in .venv; after 'source "
        ".venv/bin/activate' it runs from anywhere)",
        highlight=False,
    )
    console.print(
        "Web uygulamasını açmak için / to open the web app:\n"
        f"  CAMPAIGNS_DATABASE_URL=sqlite:///{escape(str(database))} "
        f"CAMPAIGNS_OUTBOX_DIR={escape(str(workdir / 'outbox'))} {escape(program)} serve\n"
        "  ve 15 dakika içinde açın / and within 15 minutes open:\n"
        f"  danışman / advisor {result.advisor}: {result.sign_in_link}\n"
        f"  Mezunlar Ofisi / alumni office {result.office}: {result.office_link}\n"
        "  (yeni bağlantı / a new link: /giris)",
        highlight=False,
        soft_wrap=True,
    )
