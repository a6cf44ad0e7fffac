"""Small HTML pages for people (unsubscribe), Turkish first; data is always escaped."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

_PAGE = """<!doctype html>
<html lang="tr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto;
padding: 0 1rem; line-height: 1.5; color: #1a1a1a">
{body}
</body></html>"""


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A page; ``body`` is trusted markup built from escaped parts."""
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status)


def paragraph(turkish: str, english: str) -> str:
    return f'<p>{escape(turkish)}</p>\n<p lang="en" style="color:#555">{escape(english)}</p>'
