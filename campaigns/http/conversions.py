"""``POST /conversions``: the alumni system reports students who registered or handed in
the membership form. Signed (see ``campaigns.conversion_signing``); one conversion or a
batch; idempotent, the earliest time wins; unknown student numbers are kept and reported."""

from __future__ import annotations

import time
from datetime import datetime

from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from campaigns.conversion_signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, verify
from campaigns.conversions import ConversionInput
from campaigns.http.deps import services_of
from campaigns.models import ConversionStage


class ConversionIn(BaseModel):
    """One conversion; a time without a zone is local to CAMPAIGNS_TIMEZONE."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    student_no: str = Field(min_length=1, max_length=32, pattern=r"^\S(.*\S)?$")
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
    items = parsed.conversions if isinstance(parsed, ConversionBatch) else [parsed]
    zone = deps.settings.zone
    entries = [
        ConversionInput(
            item.student_no,
            (
                item.occurred_at
                if item.occurred_at.tzinfo
                else item.occurred_at.replace(tzinfo=zone)
            ),
            item.stage,
        )
        for item in items
    ]
    report = await deps.conversions.submit(entries)
    return JSONResponse(report.as_dict())


routes = [Route("/conversions", receive_conversions, methods=["POST"])]
