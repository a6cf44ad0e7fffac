"""``GET /me``: who the token belongs to."""

from __future__ import annotations

from fastapi import APIRouter

from campaigns.http.api.auth import CurrentUser
from campaigns.http.api.common import ERROR_RESPONSES
from campaigns.http.api.schemas import MeOut

router = APIRouter(tags=["me"], responses=ERROR_RESPONSES)


@router.get("/me", response_model=MeOut, summary="Ben / the caller")
async def me(user: CurrentUser) -> MeOut:
    """The caller's account: email, role, faculty (coordinators), phone (for test sends)."""
    return MeOut.of(user)
