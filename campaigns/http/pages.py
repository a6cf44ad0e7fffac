"""Small HTML pages for people (unsubscribe), Turkish first; data is always escaped."""

from __future__ import annotations

from html import escape

from fastapi.responses import HTMLResponse

from campaigns.core.settings import Settings

_PAGE = """<!doctype html>
<html lang="tr"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto;
padding: 0 1rem; line-height: 1.5; color: #1a1a1a">
{body}
</body></html>"""


def page(
    title: str, body: str, status: int = 200, *, settings: Settings | None = None
) -> HTMLResponse:
    """A page; ``body`` is trusted markup built from escaped parts. With ``settings``, the
    configured privacy notice (KVKK aydınlatma metni) closes it."""
    if settings is not None:
        body += privacy_notice(settings)
    return HTMLResponse(_PAGE.format(title=escape(title), body=body), status_code=status)


def privacy_notice(settings: Settings) -> str:
    """The privacy notice as the students' pages show it, with a link to the full text."""
    text = settings.privacy_notice.strip()
    if not text:
        return ""
    url = settings.privacy_notice_url.strip()
    more = (
        f'<p><a href="{escape(url, quote=True)}">Aydınlatma metninin tamamı / the full '
        "privacy notice</a></p>"
        if url
        else ""
    )
    return (
        '<footer style="margin-top:2.5rem;border-top:1px solid #ccc;font-size:.9rem;'
        'color:#444"><h2 style="font-size:1rem">KVKK aydınlatma metni / Privacy notice</h2>'
        f"<p>{escape(text)}</p>{more}</footer>"
    )


def paragraph(turkish: str, english: str) -> str:
    return f'<p>{escape(turkish)}</p>\n<p lang="en" style="color:#555">{escape(english)}</p>'
