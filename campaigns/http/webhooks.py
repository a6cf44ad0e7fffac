"""Provider callbacks: every webhook receiver of every registered adapter, mounted at
``/webhooks/<path>``. Signatures are checked (by the receiver) before anything is acted on; a
forged, unsigned or stale request gets 403 and changes nothing. 2xx is answered only once what
it carried is stored, so a failure (5xx) makes the provider try again."""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any
from urllib.parse import parse_qsl

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from campaigns.http.deps import services_of
from campaigns.tracking.delivery_events import record_events
from campaigns.tracking.inbound import record_inbound, reply_to
from channels.base import ConfigurationError
from channels.registry import receivers
from channels.webhooks import (
    InboundMessage,
    RejectReason,
    WebhookReceiver,
    WebhookRejected,
    WebhookRequest,
    mount_path,
)

log = logging.getLogger(__name__)

NOT_CONFIGURED = PlainTextResponse("yapılandırılmamış / not configured", status_code=404)
REFUSED: Mapping[RejectReason, tuple[int, str]] = {
    RejectReason.BAD_SIGNATURE: (403, "imza geçersiz / invalid signature"),
    RejectReason.STALE: (403, "imza eski / stale signature"),
    RejectReason.MALFORMED: (400, "geçersiz istek / malformed callback"),
    RejectReason.OTHER: (400, "reddedildi / refused"),
}

Endpoint = Callable[[Request], Coroutine[Any, Any, Response]]


def routes(env: Mapping[str, str]) -> list[Route]:
    """A route per registered receiver; one whose provider secret is missing answers 404."""
    mounted = []
    for path, receiver_class in receivers().items():
        try:
            receiver: WebhookReceiver | None = receiver_class.from_env(env)
        except ConfigurationError as exc:
            log.info("webhook %s not configured: %s", path, exc)
            receiver = None
        mounted.append(Route(mount_path(path), _endpoint(receiver), methods=["POST"]))
    return mounted


def _endpoint(receiver: WebhookReceiver | None) -> Endpoint:
    async def endpoint(request: Request) -> Response:
        if receiver is None:
            return NOT_CONFIGURED
        deps = services_of(request)
        query = request.scope["query_string"].decode("latin-1")
        called = WebhookRequest(
            url=deps.public_url_of(request),
            headers=request.headers,  # case-insensitive, decoded only when looked up
            body=await request.body(),
            query=dict(parse_qsl(query)),
        )
        try:
            received = receiver.receive(called, time.time())
        except WebhookRejected as rejected:
            status, text = REFUSED[rejected.reason]
            if status == 403:
                log.warning("refused a %s callback: %s", receiver.path, rejected.reason.value)
                return PlainTextResponse(text, status_code=status)
            return PlainTextResponse(f"{text}: {rejected.detail}", status_code=status)
        if len(received.events) == 1:
            # The hot path: one status callback, stored with its concurrent neighbours.
            await deps.events.submit(received.events[0])
        elif received.events:
            events = received.events
            await deps.transaction(lambda session: record_events(session, events))
        texts: dict[InboundMessage, str] = {}
        for message in received.inbound:
            new = await deps.transaction(functools.partial(_record, message))
            if not new:
                # A replay: answered again (the provider may have lost our answer), applied once.
                log.info("inbound message on %s already stored", message.channel.value)
            elif message.keyword is not None:
                log.info("inbound %s keyword on %s", message.keyword, message.channel.value)
            if (answer := reply_to(message)) is not None:
                texts[message] = answer
        reply = receiver.reply(received, texts)
        return Response(reply.body, status_code=reply.status, media_type=reply.media_type)

    return endpoint


def _record(message: InboundMessage, session: Session) -> bool:
    return record_inbound(session, message)
