"""``/calendar``: the days nothing is sent, and the closed days people keep."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from sqlalchemy.orm import Session

from campaigns.core.models import utcnow
from campaigns.governance import closed_day_book
from campaigns.http.api.auth import CurrentActor
from campaigns.http.api.common import (
    ERROR_RESPONSES,
    FORBIDDEN,
    MAX_ID,
    NOT_FOUND,
    UNREADABLE_BODY,
    Deps,
    run,
)
from campaigns.http.api.schemas import ClosedDayIn, ClosedSpanOut

router = APIRouter(tags=["calendar"], responses=ERROR_RESPONSES)

ClosedId = Annotated[int, Path(ge=1, le=MAX_ID, description="Kapalı gün kaydı / entry id.")]


@router.get("/calendar", response_model=list[ClosedSpanOut], summary="Kapalı günler / closed days")
async def closed_days(
    deps: Deps,
    actor: CurrentActor,
    days: Annotated[int, Query(ge=1, le=730, description="Kaç gün ileri / days ahead.")] = 365,
) -> list[ClosedSpanOut]:
    """Public holidays, configured and kept closed days from today on, in date order:
    nothing is sent on them (a faculty's days: to its students)."""
    today = utcnow().astimezone(deps.settings.zone).date()

    def work(session: Session) -> list[ClosedSpanOut]:
        spans = closed_day_book.upcoming(session, deps.settings, today, days)
        return [ClosedSpanOut.of(span) for span in spans]

    return await run(deps, work)


@router.post(
    "/calendar/closed-days",
    status_code=201,
    response_model=ClosedSpanOut,
    responses={**FORBIDDEN, **UNREADABLE_BODY},
    summary="Günleri kapat / close days",
)
async def close_days(deps: Deps, actor: CurrentActor, body: ClosedDayIn) -> ClosedSpanOut:
    """Keep days closed for the university (alumni office) or a faculty (its coordinator,
    or the alumni office). 422 names the field that cannot be kept."""
    today = utcnow().astimezone(deps.settings.zone).date()

    def work(session: Session) -> ClosedSpanOut:
        row = closed_day_book.close(
            session,
            actor,
            body.first_day,
            body.last_day or body.first_day,
            body.reason,
            body.faculty,
            today,
        )
        return ClosedSpanOut.of(closed_day_book.ClosedSpan.of(row))

    return await run(deps, work)


@router.delete(
    "/calendar/closed-days/{closed_id}",
    status_code=204,
    responses={**FORBIDDEN, **NOT_FOUND},
    summary="Yeniden aç / reopen",
)
async def reopen_days(deps: Deps, actor: CurrentActor, closed_id: ClosedId) -> Response:
    """Forget kept closed days: messages may go on them again."""
    await run(deps, lambda session: closed_day_book.reopen(session, actor, closed_id))
    return Response(status_code=204)
