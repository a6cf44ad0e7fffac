"""Lists and reports as files a person opens in a spreadsheet."""

from __future__ import annotations

from starlette.responses import Response

MEDIA = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "toml": "application/toml",
}


def download(body: bytes | str, name: str, kind: str) -> Response:
    """``body`` (XLSX or TOML bytes, CSV text) as the attachment ``name.kind``; CSV starts
    with a byte-order mark, by which Excel knows it is UTF-8."""
    if kind in MEDIA:
        media = MEDIA[kind]
    else:
        body, media = "\ufeff" + str(body), "text/csv; charset=utf-8"
    return Response(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{name}.{kind}"',
            "Cache-Control": "no-store",
        },
    )
