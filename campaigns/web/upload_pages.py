"""Uploading the registrar's list: the file is read and imported in a transaction that is
rolled back, so the check page shows the real counts (to add, update, reject), every
problem with its row and field, and how each column was read; nothing is stored until the
person confirms. The same import code as the command line."""

from __future__ import annotations

from typing import Final

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from campaigns.core.column_headers import recogniser
from campaigns.core.errors import CampaignsError, NotAllowedError
from campaigns.core.tabular_files import MAX_FILE_BYTES, Table, parse_table
from campaigns.http.deps import services_of
from campaigns.students.importing import (
    STUDENT_COLUMNS,
    ImportReport,
    check_list,
    import_list,
    mapped_columns,
    may_import,
)
from campaigns.web import held_uploads, i18n, sessions
from campaigns.web.page_rendering import message_page, not_found, render

SHOWN_PROBLEMS: Final = 500
SAMPLE_ROWS: Final = 3


def _read(data: bytes, name: str) -> Table:
    return parse_table(data, name=name, recognise=recogniser(STUDENT_COLUMNS))


async def upload_page(request: Request) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    try:
        may_import(visitor.actor)
    except NotAllowedError:
        return not_found(request)
    return render(request, "upload.html", language=i18n.for_request(request), visitor=visitor)


async def check(request: Request) -> Response:
    """The check page for an uploaded file."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    _ = i18n.gettext_for(request)
    upload = form.get("file")
    data = b""
    name = "liste"
    if isinstance(upload, UploadFile):
        data = await upload.read(MAX_FILE_BYTES + 1)
        name = (upload.filename or name)[-200:]
    await form.close()
    term = sessions.field(form, "term", 60) or None
    if not data:
        return _cannot(request, _("Choose the list's file (CSV or Excel) first."))
    services = services_of(request)

    def rehearse() -> tuple[Table, list[tuple[str, str | None]], ImportReport]:
        table = _read(data, name)
        columns = mapped_columns(table)
        report = check_list(services.db, visitor.actor, table, term=term)
        return table, columns, report

    try:
        table, columns, report = await run_in_threadpool(rehearse)
    except NotAllowedError:
        return not_found(request)
    except CampaignsError as exc:
        return _cannot(request, str(exc))
    token = held_uploads.hold(data, name, visitor.actor.name) if report.accepted else None
    samples = [
        [str(row.cell(index)) for index in range(len(columns))] for row in table.rows[:SAMPLE_ROWS]
    ]
    return render(
        request,
        "upload_check.html",
        language=i18n.for_request(request),
        visitor=visitor,
        file_name=name,
        term=term or "",
        report=report,
        problems=report.issues[:SHOWN_PROBLEMS],
        columns=columns,
        samples=samples,
        token=token,
        set_aside=table.set_aside,
        notes=table.notes,
    )


async def confirm(request: Request) -> Response:
    """Import the file the check page showed."""
    posted = await sessions.posted_form(request)
    if isinstance(posted, Response):
        return posted
    visitor, form = posted
    _ = i18n.gettext_for(request)
    held = held_uploads.take(sessions.field(form, "token", 64), visitor.actor.name)
    if held is None:
        return _cannot(
            request, _("The uploaded file is no longer held (after an hour). Upload it again.")
        )
    term = sessions.field(form, "term", 60) or None
    services = services_of(request)

    def store() -> ImportReport:
        table = _read(held.data, held.name)
        return services.db.run(
            lambda session: import_list(session, visitor.actor, table, source=held.name, term=term)
        )

    try:
        report = await run_in_threadpool(store)
    except NotAllowedError:
        return not_found(request)
    except CampaignsError as exc:
        return _cannot(request, str(exc))
    return render(
        request,
        "upload_done.html",
        language=i18n.for_request(request),
        visitor=visitor,
        file_name=held.name,
        report=report,
    )


def _cannot(request: Request, reason: str) -> Response:
    _ = i18n.gettext_for(request)
    return message_page(request, _("The list was not imported"), reason, 422)
