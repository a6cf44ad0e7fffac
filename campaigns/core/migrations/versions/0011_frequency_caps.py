"""frequency caps across campaigns: messages per student and channel in the current day
and week

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "contact_counts",
        sa.Column("student_id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("day", sa.String(length=10), nullable=False),
        sa.Column("day_count", sa.Integer(), nullable=False),
        sa.Column("week", sa.String(length=10), nullable=False),
        sa.Column("week_count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("student_id", "channel", name=op.f("pk_contact_counts")),
    )


def downgrade() -> None:
    op.drop_table("contact_counts")
