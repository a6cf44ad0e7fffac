"""``POST /conversions``: the alumni system reports students who registered or handed in
the membership form. Signed (see ``campaigns.conversions.signing``); one conversion or a
batch; idempotent, the earliest time wins; unknown student numbers are kept and reported."""

from __future__ import annotations

import time
from datetime import datetime

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from campaigns.conversions.recording import ConversionInput, conversion_time
from campaigns.conversions.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from campaigns.core.models import ConversionStage, utcnow
from campaigns.http.deps import services_of

# Printable text without surrounding spaces: no control characters (NUL above all, which
# PostgreSQL cannot store).
STUDENT_NO = r"^[^\s\x00-\x1f\x7f](?:[^\x00-\x1f\x7f]*[^\s\x00-\x1f\x7f])?$"


class ConversionIn(BaseModel):
    """One conversion; a time without a zone is local to CAMPAIGNS_TIMEZONE."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    student_no: str = Field(min_length=1, max_length=32, pattern=STUDENT_NO)
    occurred_at: datetime = Field(alias="registered_at")
    stage: ConversionStage = ConversionStage.REGISTERED


class ConversionBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    conversions: list[ConversionIn] = Field(min_length=1, max_length=1000)


_BODY: TypeAdapter[ConversionIn | ConversionBatch] = TypeAdapter(ConversionIn | ConversionBatch)


async def receive_conversions(request: Request) -> Response:
    deps = services_of(request)
    secret = deps.settings.conversion_secret
    if not secret:
        return PlainTextResponse("yapılandırılmamış / not configured", status_code=404)
    body = await request.body()
    if not verify(
        secret,
        request.headers.get(TIMESTAMP_HEADER, ""),
        body,
        request.headers.get(SIGNATURE_HEADER, ""),
        time.time(),
    ):
        return PlainTextResponse("imza geçersiz / invalid signature", status_code=403)
    try:
        parsed = _BODY.validate_json(body)
    except ValidationError as exc:
        raise RequestValidationError(exc.errors(include_url=False)) from None
    batch = isinstance(parsed, ConversionBatch)
    items = parsed.conversions if isinstance(parsed, ConversionBatch) else [parsed]
    zone, now = deps.settings.zone, utcnow()
    entries, errors = [], []
    for index, item in enumerate(items):
        try:
            occurred = conversion_time(item.occurred_at, zone=zone, now=now)
        except ValueError as exc:
            where = ("body", "conversions", index) if batch else ("body",)
            errors.append(
                {
                    "type": "value_error",
                    "loc": (*where, "registered_at"),
                    "msg": str(exc),
                    "input": item.occurred_at.isoformat(),
                }
            )
            continue
        entries.append(ConversionInput(item.student_no, occurred, item.stage))
    if errors:
        raise RequestValidationError(errors)
    report = await deps.conversions.submit(entries)
    return JSONResponse(report.as_dict())


routes = [Route("/conversions", receive_conversions, methods=["POST"])]
