"""the academic calendar: the university's and the faculties' closed days, and a
student's own time zone when it is not the campaign's

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaigns.core.models

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "closed_days",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=255), nullable=False),
        sa.Column("faculty", sa.String(length=255), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", campaigns.core.models.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_closed_days")),
    )
    op.create_index(op.f("ix_closed_days_first_day"), "closed_days", ["first_day"])
    op.create_index(op.f("ix_closed_days_last_day"), "closed_days", ["last_day"])
    with op.batch_alter_table("students") as batch_op:
        batch_op.add_column(sa.Column("timezone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("students") as batch_op:
        batch_op.drop_column("timezone")
    op.drop_index(op.f("ix_closed_days_last_day"), table_name="closed_days")
    op.drop_index(op.f("ix_closed_days_first_day"), table_name="closed_days")
    op.drop_table("closed_days")
