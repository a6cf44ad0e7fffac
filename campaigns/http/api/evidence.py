"""``/evidence``: the quality report's evidence for one graduation term, as JSON (the web
app and the CLI give the same figures as XLSX and a printable page)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from sqlalchemy.orm import Session

from campaigns.http.api.auth import CurrentActor
from campaigns.http.api.common import ERROR_RESPONSES, Deps, run, text_query
from campaigns.reports.quality_evidence import evidence_for

router = APIRouter(tags=["evidence"], responses=ERROR_RESPONSES)


@router.get("/evidence", summary="Kalite raporu kanıtı / evidence for the quality report")
async def evidence(
    deps: Deps,
    actor: CurrentActor,
    term: Annotated[str, text_query("Mezuniyet dönemi / graduation term", 60)],
    since: Annotated[date | None, Query(description="İlk gün / first day")] = None,
    until: Annotated[date | None, Query(description="Son gün / last day")] = None,
) -> dict[str, Any]:
    """Per programme (faculty, department, degree) of ``term`` among your students:
    graduating, registered, form handed in, rates, reminders sent by channel, opt-outs and
    costs, then the total; ``period`` is the range asked for, or the first and last
    reminder's days. 422 for a term or a range that cannot be read."""
    settings = deps.settings

    def work(session: Session) -> dict[str, Any]:
        found = evidence_for(session, actor, settings, term, since, until)
        data: dict[str, Any] = jsonable_encoder(found.as_dict(settings.zone))
        return data

    return await run(deps, work)
