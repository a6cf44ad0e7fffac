"""replies matched to students, with their place in the advisors' inbox and their answer

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaigns.core.models

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = campaigns.core.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("inbound_messages") as table:
        table.add_column(sa.Column("student_id", _ID, nullable=True))
        table.add_column(
            sa.Column("state", sa.String(length=20), server_default="new", nullable=False)
        )
        table.add_column(sa.Column("assigned_to", sa.String(length=320), nullable=True))
        table.add_column(sa.Column("handled_at", _TIME, nullable=True))
        table.add_column(sa.Column("answer", sa.Text(), nullable=True))
        table.add_column(sa.Column("answered_by", sa.String(length=320), nullable=True))
        table.add_column(sa.Column("answered_at", _TIME, nullable=True))
        table.create_index(op.f("ix_inbound_messages_student_id"), ["student_id"])
        table.create_foreign_key(
            op.f("fk_inbound_messages_student_id_students"),
            "students",
            ["student_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("inbound_messages") as table:
        table.drop_constraint(op.f("fk_inbound_messages_student_id_students"), type_="foreignkey")
        table.drop_index(op.f("ix_inbound_messages_student_id"))
        table.drop_column("answered_at")
        table.drop_column("answered_by")
        table.drop_column("answer")
        table.drop_column("handled_at")
        table.drop_column("assigned_to")
        table.drop_column("state")
        table.drop_column("student_id")
