"""the few students with a time zone of their own, indexed: whether a wave has one due is
asked at every scheduler tick

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ABROAD = sa.text("timezone IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_students_abroad",
        "students",
        ["id"],
        postgresql_where=_ABROAD,
        sqlite_where=_ABROAD,
    )


def downgrade() -> None:
    op.drop_index("ix_students_abroad", table_name="students")
