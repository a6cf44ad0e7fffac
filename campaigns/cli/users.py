"""``campaigns users``: API accounts and their tokens (shown once, stored hashed)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from campaigns.access import users
from campaigns.cli import context
from campaigns.cli.output import TableFormat, TableOutput, console, emit_json, emit_table
from campaigns.core.actors import Actor
from campaigns.core.models import Role, User

app = typer.Typer(no_args_is_help=True)

Email = Annotated[str, typer.Argument(metavar="EMAIL", help="Kullanıcının e-postası / email.")]
COLUMNS = ("email", "role", "faculty", "phone", "created_at", "revoked_at")


def _row(user: User) -> dict[str, Any]:
    return {column: getattr(user, column) for column in COLUMNS}


def _show_token(issued: users.IssuedToken, output: TableFormat, title: str) -> None:
    if output is TableFormat.json:
        emit_json({**_row(issued.user), "token": issued.token})
        return
    console.print(title, highlight=False)
    console.print(
        "Erişim anahtarı; yalnızca şimdi gösterilir, saklayın / "
        "access token; shown only now, keep it safe:",
        highlight=False,
    )
    console.print(issued.token, highlight=False, soft_wrap=True, markup=False)


@app.command("add")
def add(
    email: Annotated[str, typer.Option("--email", help="E-posta / email address.")],
    role: Annotated[Role, typer.Option("--role", help="admin | coordinator | advisor.")],
    faculty: Annotated[
        str | None,
        typer.Option(
            "--faculty",
            help="Fakülte: koordinatör için gerekli, danışman için isteğe bağlı / faculty: "
            "required for a coordinator, optional for an advisor.",
        ),
    ] = None,
    phone: Annotated[
        str | None,
        typer.Option("--phone", help="Deneme SMS/WhatsApp için / mobile for test sends."),
    ] = None,
    output: TableOutput = TableFormat.table,
) -> None:
    """Kullanıcı ekle ve anahtarını bir kez göster / add a user and show their token once.

    Coordinators need --faculty: they see the students and campaigns of that faculty. An
    advisor given --faculty sees their students in that faculty, and the faculty's
    coordinator sees their campaigns.
    Advisors see the students whose advisor email is theirs; admins see everything.
    """
    with context.db().session() as session:
        issued = users.add_user(
            session, Actor.operator(), email=email, role=role, faculty=faculty, phone=phone
        )
    _show_token(issued, output, f"Kullanıcı eklendi / user added: {issued.user.email}")


@app.command("list")
def list_(output: TableOutput = TableFormat.table) -> None:
    """Kullanıcıları listele / list users (tokens are never shown again)."""
    with context.db().session() as session:
        rows = [_row(user) for user in users.list_users(session)]
    if output is TableFormat.json:
        emit_json(rows)
    else:
        emit_table(COLUMNS, rows, title=f"{len(rows)} kullanıcı / users")


@app.command("revoke")
def revoke(email: Email) -> None:
    """Kullanıcının anahtarını iptal et / revoke a user's token."""
    with context.db().session() as session:
        user = users.revoke(session, Actor.operator(), email)
    console.print(f"Anahtar iptal edildi / token revoked: {user.email}", highlight=False)


@app.command("token")
def token(email: Email, output: TableOutput = TableFormat.table) -> None:
    """Yeni anahtar ver, eskisini iptal et / issue a new token, revoking the old one.

    A revoked user becomes active again with the new token.
    """
    with context.db().session() as session:
        issued = users.reissue_token(session, Actor.operator(), email)
    _show_token(issued, output, f"Yeni anahtar / new token: {issued.user.email}")
