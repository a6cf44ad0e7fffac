"""``GET /audit``: the audit log, for administrators only."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from campaigns.core import audit
from campaigns.http.api.auth import AdminUser
from campaigns.http.api.common import ERROR_RESPONSES, FORBIDDEN, Deps, run, text_query
from campaigns.http.api.schemas import AuditEntryOut

router = APIRouter(tags=["audit"], responses={**ERROR_RESPONSES, **FORBIDDEN})


@router.get("/audit", response_model=list[AuditEntryOut], summary="Denetim kaydı / audit log")
async def audit_log(
    deps: Deps,
    _admin: AdminUser,
    limit: Annotated[int, Query(ge=1, le=audit.MAX_LIMIT)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
    actor: Annotated[str | None, text_query("Kim / who, e.g. cli:ayse", 320)] = None,
    action: Annotated[str | None, text_query("Ne / what, e.g. campaign.launch", 60)] = None,
) -> list[AuditEntryOut]:
    """Who changed what and when, newest first (administrators only; others get 403)."""
    return await run(
        deps,
        lambda session: [
            AuditEntryOut.of(entry)
            for entry in audit.entries(
                session, limit=limit, offset=offset, actor=actor, action=action
            )
        ],
    )
