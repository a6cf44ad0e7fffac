"""The unsubscribe link behind the List-Unsubscribe header, keyed by the message token.

``POST`` unsubscribes at once (RFC 8058 one-click, as mail clients do it, and the button of
the page); ``GET`` only shows a page with that button, because link scanners fetch URLs.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from campaigns.http.deps import Services, services_of
from campaigns.http.pages import page, paragraph
from campaigns.tracking.optouts import message_for_token, unsubscribe


def _unknown(deps: Services) -> Response:
    return page(
        "Bağlantı geçersiz / Invalid link",
        paragraph(
            "Bu bağlantı geçerli değil ya da süresi dolmuş. Yardım için "
            f"{deps.settings.alumni_office_email} adresine yazabilirsiniz.",
            f"This link is not valid. For help, write to {deps.settings.alumni_office_email}.",
        ),
        status=404,
        settings=deps.settings,
    )


async def confirm_page(request: Request) -> Response:
    deps, token = services_of(request), request.path_params["token"]
    message = await deps.transaction(lambda session: message_for_token(session, token))
    if message is None:
        return _unknown(deps)
    form = (
        f'<form method="post" action="/u/{token}">'
        '<button type="submit" style="padding:.6rem 1.2rem;font-size:1rem">'
        "Aboneliği iptal et / Unsubscribe</button></form>"
    )
    return page(
        "Abonelikten çık / Unsubscribe",
        paragraph(
            "Mezun Bilgi Sistemi kayıt hatırlatmalarını bu adrese artık almak istemiyorsanız "
            "aşağıdaki düğmeye basın.",
            "Press the button below to stop registration reminders to this address.",
        )
        + form,
        settings=deps.settings,
    )


async def unsubscribe_now(request: Request) -> Response:
    deps, token = services_of(request), request.path_params["token"]
    done = await deps.transaction(lambda session: unsubscribe(session, token))
    if done is None:
        return _unknown(deps)
    return page(
        "Abonelikten çıktınız / Unsubscribed",
        paragraph(
            "Bu adrese artık hatırlatma gönderilmeyecek. Mezun Bilgi Sistemi kaydınızı yine "
            f"de tamamlamanız gerekir; yardım için {deps.settings.alumni_office_email}.",
            "No more reminders will be sent to this address. You still need to register in "
            f"the alumni information system; for help, {deps.settings.alumni_office_email}.",
        ),
        settings=deps.settings,
    )


routes = [
    Route("/u/{token}", confirm_page, methods=["GET"]),
    Route("/u/{token}", unsubscribe_now, methods=["POST"]),
]
