"""SQL pieces per database: secrets drawn by the database itself, distinct and URL-safe."""

from __future__ import annotations

import re

from sqlalchemy import select

from campaigns.core.db import Database
from campaigns.core.dialects import SECRET_LENGTH, random_secret


def test_each_secret_is_fresh_and_fits_a_token(db: Database) -> None:
    with db.session() as session:
        secrets = [session.scalar(select(random_secret())) for _ in range(200)]
    assert len(set(secrets)) == 200
    assert all(re.fullmatch(rf"[A-Za-z0-9_-]{{{SECRET_LENGTH}}}", s or "") for s in secrets)
