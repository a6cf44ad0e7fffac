"""``campaigns db``: schema migrations."""

from __future__ import annotations

import typer

from campaigns.cli import context
from campaigns.cli.output import console

app = typer.Typer(help="Veritabanı şeması / database schema.", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision.")) -> None:
    """Şemayı güncelle / apply the migrations (creates the tables on a new database)."""
    instance = context.db(migrate=False)
    instance.upgrade(revision)
    console.print(f"veritabanı güncel / database at {revision}")
