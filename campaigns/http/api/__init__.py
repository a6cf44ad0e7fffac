"""The advisors' JSON API under ``/api/v1``."""

from fastapi import APIRouter

from campaigns.http.api import audit, calendar, campaigns, evidence, me, students

router = APIRouter(prefix="/api/v1")
router.include_router(me.router)
router.include_router(students.router)
router.include_router(campaigns.router)
router.include_router(audit.router)
router.include_router(calendar.router)
router.include_router(evidence.router)
