"""The start page: the cohort board by graduation term (and by faculty, department or
advisor within each, when chosen), every number a link to the list behind it, and the
trend of registrations since the first wave as a chart with its table."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from campaigns.core.models import utcnow
from campaigns.http.deps import services_of
from campaigns.reports.cohort_board import Breakdown, CohortRow, cohort_board
from campaigns.reports.cohort_trend import Trend, cohort_trend
from campaigns.web import i18n, sessions
from campaigns.web.page_rendering import render

BREAKDOWNS: Final = {
    "fakulte": Breakdown.faculty,
    "bolum": Breakdown.department,
    "danisman": Breakdown.advisor,
}
FILTER_OF: Final = {"fakulte": "fakulte", "bolum": "bolum", "danisman": "danisman"}
WIDTH: Final = 600
HEIGHT: Final = 160


@dataclass(frozen=True, slots=True)
class Line:
    points: str
    """SVG polyline points, shares of the cohort from 0 (bottom) to 1 (top)."""
    last: float | None


def _line(values: list[int], total: int) -> Line:
    if not values or not total:
        return Line("", None)
    step = WIDTH / max(len(values) - 1, 1)
    points = " ".join(
        f"{i * step:.1f},{HEIGHT - value / total * HEIGHT:.1f}" for i, value in enumerate(values)
    )
    return Line(points, values[-1] / total)


async def board_page(request: Request) -> Response:
    visitor = await sessions.visitor(request)
    if visitor is None:
        return sessions.to_sign_in()
    if visitor.desk:
        return RedirectResponse("/masa", status_code=303)
    key = request.query_params.get("kirilim", "")
    by = BREAKDOWNS.get(key)

    def look(session: Session) -> tuple[list[CohortRow], Trend]:
        return cohort_board(session, visitor.actor, by), cohort_trend(
            session, visitor.actor, utcnow()
        )

    rows, trend = await services_of(request).transaction(look)
    graduating = sum(row.graduating for row in rows)
    return render(
        request,
        "board.html",
        language=i18n.for_request(request),
        visitor=visitor,
        rows=rows,
        breakdown=key if by else "",
        breakdowns=BREAKDOWNS,
        key_filter=FILTER_OF.get(key, ""),
        trend=trend,
        graduating=graduating,
        registered_line=_line([p.registered for p in trend.points], graduating),
        form_line=_line([p.form_submitted for p in trend.points], graduating),
        chart=(WIDTH, HEIGHT),
    )
