"""Provider callbacks. Signatures are checked before anything is acted on; a forged or
unsigned request gets 403 and changes nothing. 2xx is answered only once the events are
stored, so a failure (5xx) makes the provider try again."""

from __future__ import annotations

import logging
import time
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from campaigns.http.deps import Services, services_of
from campaigns.tracking.delivery_events import record_events
from campaigns.tracking.inbound import Inbound, record_inbound
from channels import sendgrid_webhooks, twilio_webhooks

log = logging.getLogger(__name__)

FORBIDDEN = PlainTextResponse("imza geçersiz / invalid signature", status_code=403)
NOT_CONFIGURED = PlainTextResponse("yapılandırılmamış / not configured", status_code=404)


async def _twilio_params(request: Request, deps: Services) -> dict[str, str] | Response:
    """The form a genuine Twilio request carried, or the response refusing it."""
    if not deps.twilio_auth_token:
        return NOT_CONFIGURED
    # Twilio posts url-encoded forms; parsed directly, which is several times cheaper than
    # the general form parser on this hot path.
    body = (await request.body()).decode("utf-8", "replace")
    params = dict(parse_qsl(body, keep_blank_values=True))
    signature = request.headers.get("X-Twilio-Signature", "")
    url = deps.public_url_of(request)
    if not signature or not twilio_webhooks.verify_signature(
        deps.twilio_auth_token, url, params, signature
    ):
        log.warning("refused a Twilio callback with a bad signature")
        return FORBIDDEN
    return params


async def twilio_status(request: Request) -> Response:
    """A message status callback (sent, delivered, undelivered, read, …)."""
    deps = services_of(request)
    params = await _twilio_params(request, deps)
    if isinstance(params, Response):
        return params
    try:
        query = dict(parse_qsl(request.scope["query_string"].decode("latin-1")))
        event = twilio_webhooks.parse_status_callback(params, query)
    except ValueError as exc:
        return PlainTextResponse(f"geçersiz istek / malformed callback: {exc}", status_code=400)
    await deps.events.submit(event)
    return Response(status_code=204)


async def twilio_inbound(request: Request) -> Response:
    """A reply from a student: STOP/İPTAL suppresses the number, START/BAŞLA lifts it."""
    deps = services_of(request)
    params = await _twilio_params(request, deps)
    if isinstance(params, Response):
        return params
    try:
        inbound = twilio_webhooks.parse_inbound(params)
    except ValueError as exc:
        return PlainTextResponse(f"geçersiz istek / malformed message: {exc}", status_code=400)
    message = Inbound(
        provider=twilio_webhooks.PROVIDER,
        provider_message_id=inbound.message_sid,
        channel=inbound.channel,
        address=inbound.from_number,
        body=inbound.body,
        keyword=inbound.keyword,
    )
    new = await deps.transaction(lambda session: record_inbound(session, message))
    if not new:
        # A replay: answered again (Twilio may have lost our answer), applied only once.
        log.info("inbound message on %s already stored", inbound.channel.value)
    elif inbound.keyword is not None:
        log.info("inbound %s keyword on %s", inbound.keyword, inbound.channel.value)
    return Response(twilio_webhooks.reply_twiml(inbound.keyword), media_type="application/xml")


async def sendgrid_events(request: Request) -> Response:
    """A batch of email events, verified on the raw body (never re-serialised JSON)."""
    deps = services_of(request)
    if not deps.sendgrid_public_key:
        return NOT_CONFIGURED
    raw = await request.body()
    signature = request.headers.get(sendgrid_webhooks.SIGNATURE_HEADER, "")
    timestamp = request.headers.get(sendgrid_webhooks.TIMESTAMP_HEADER, "")
    if not sendgrid_webhooks.is_fresh(
        timestamp, time.time()
    ) or not sendgrid_webhooks.verify_signature(
        deps.sendgrid_public_key, raw, signature, timestamp
    ):
        log.warning("refused a SendGrid event post with a bad or stale signature")
        return FORBIDDEN
    try:
        events = sendgrid_webhooks.parse_events(raw)
    except ValueError as exc:
        return PlainTextResponse(f"geçersiz istek / malformed events: {exc}", status_code=400)
    result = await deps.transaction(lambda session: record_events(session, events))
    return PlainTextResponse(f"{result.stored} stored, {result.duplicates} duplicates")


# Plain Starlette routes: providers need none of FastAPI's request parsing or documentation,
# and these are the hottest paths of the app.
routes = [
    Route("/webhooks/twilio/status", twilio_status, methods=["POST"]),
    Route("/webhooks/twilio/inbound", twilio_inbound, methods=["POST"]),
    Route("/webhooks/sendgrid/events", sendgrid_events, methods=["POST"]),
]
