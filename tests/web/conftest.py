"""Fixtures of the web app's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from campaigns.access import users
from campaigns.core.actors import Actor
from campaigns.core.db import Database
from campaigns.core.models import Role
from campaigns.core.settings import Settings
from tests.support.web import ADMIN, ADVISOR, client_as


@pytest.fixture
def admin(db: Database, settings: Settings) -> Iterator[TestClient]:
    """The alumni office's administrator, signed in; an advisor is a user too."""
    with db.session() as session:
        users.add_user(session, Actor.operator(), email=ADMIN, role=Role.ADMIN)
        users.add_user(session, Actor.operator(), email=ADVISOR, role=Role.ADVISOR)
    client = client_as(settings, ADMIN)
    yield client
    client.__exit__(None, None, None)
