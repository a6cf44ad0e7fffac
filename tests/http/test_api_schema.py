"""Schemathesis against ``/api/v1/openapi.json`` with an admin token: whatever it generates
from the document, valid input and invalid, the API never answers 5xx, and every answer
matches what the document promises (status, content type, body schema)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from campaigns.core.db import Database
from campaigns.core.models import CampaignStatus, ClosedDay, utcnow
from campaigns.core.settings import Settings
from campaigns.http.app import create_app
from tests.support import factories
from tests.support.api import (
    ENGINEERING,
    add_campaign,
    add_cast,
    add_cohort,
    api_client,
    api_settings,
    bearer,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


def documented_operations() -> list[tuple[str, str]]:
    """The API's operations, from its document (no database is needed to build it)."""
    app = create_app(Settings(database_url="sqlite://", _env_file=None))  # type: ignore[call-arg]
    return sorted(
        (method.upper(), path)
        for path, item in app.openapi()["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
    )


OPERATIONS = documented_operations()
# The same 25 cases on every run, none stored between runs.
REPEATABLE = settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)


@pytest.fixture
def admin_token(pg_db: Database) -> str:
    """The cohort, a draft and an active campaign, and the admin's token."""
    add_cohort(pg_db)
    with pg_db.session() as session:
        session.add(factories.student(student_no="19100001"))
        today = utcnow().date()
        session.add(ClosedDay(first_day=today, last_day=today, reason="Sınav"))
    add_campaign(pg_db, faculty=ENGINEERING, advisor=None)
    add_campaign(pg_db, faculty=None, advisor=None, status=CampaignStatus.ACTIVE)
    return add_cast(pg_db).admin


@pytest.fixture
def api_schema(pg_db: Database, tmp_path: Path, admin_token: str) -> Any:
    configured = api_settings(pg_db, tmp_path)
    with api_client(configured):  # disposes of the app's connections afterwards
        yield schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(configured))


def test_every_operation_is_exercised(api_schema: Any) -> None:
    served = sorted(
        (method.upper(), path)
        for path, item in api_schema.raw_schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in item
    )
    assert len(OPERATIONS) == 24
    assert served == OPERATIONS


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
@pytest.mark.parametrize(("method", "path"), OPERATIONS, ids=[f"{m} {p}" for m, p in OPERATIONS])
def test_the_api_keeps_its_document_and_never_fails(
    api_schema: Any, admin_token: str, method: str, path: str, mode: GenerationMode
) -> None:
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(mode))
    @REPEATABLE
    def never_fails(case: Any) -> None:
        case.call_and_validate(headers=bearer(admin_token), checks=CHECKS)

    never_fails()


EXISTING = {"campaign_id": 1, "wave": "duyuru", "student_no": "19100001", "closed_id": 1}
WITH_PATH_PARAMETERS = [(m, p) for m, p in OPERATIONS if "{" in p]


@pytest.mark.parametrize(
    ("method", "path"), WITH_PATH_PARAMETERS, ids=[f"{m} {p}" for m, p in WITH_PATH_PARAMETERS]
)
def test_existing_resources_take_any_query_and_body(
    api_schema: Any, admin_token: str, method: str, path: str
) -> None:
    operation = api_schema[path][method]
    pinned = {name: value for name, value in EXISTING.items() if f"{{{name}}}" in path}

    @given(case=operation.as_strategy(GenerationMode.POSITIVE, path_parameters=pinned))
    @REPEATABLE
    def never_fails(case: Any) -> None:
        assert case.path_parameters == pinned
        case.call_and_validate(headers=bearer(admin_token), checks=CHECKS)

    never_fails()
