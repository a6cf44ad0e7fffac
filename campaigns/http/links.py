"""``/r/<token>``: a student's tracked link; 302 to the campaign's goal URL."""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from campaigns.http.deps import services_of
from campaigns.http.pages import page, paragraph
from campaigns.tracking.clicks import Click, is_scanner


async def follow_link(request: Request) -> Response:
    deps = services_of(request)
    token = request.path_params["token"]
    counted = request.method == "GET" and not is_scanner(request.headers.get("user-agent"))
    target = await deps.clicks.submit(Click(token, counted))
    if target is None:
        system = deps.settings.alumni_system_url
        return page(
            "Bağlantı geçersiz / Invalid link",
            paragraph(
                "Bu bağlantı geçerli değil. Mezun Bilgi Sistemi'ne şu adresten ulaşabilirsiniz: "
                f"{system}",
                f"This link is not valid. The alumni information system is at {system}",
            )
            + f'<p><a href="{escape(system, quote=True)}">{escape(system)}</a></p>',
            status=404,
            settings=deps.settings,
        )
    return RedirectResponse(
        target,
        status_code=302,
        headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
    )


routes = [Route("/r/{token:path}", follow_link, methods=["GET", "HEAD"])]
