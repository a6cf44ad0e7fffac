"""providers' shares per channel, their history, and failed sends counted for failover

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaigns.core.models

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = campaigns.core.models.UtcDateTime(timezone=True)
_CHANNEL = sa.Enum("email", "sms", "whatsapp", name="channel", native_enum=False, length=24)


def upgrade() -> None:
    op.create_table(
        "provider_states",
        sa.Column("channel", _CHANNEL, nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.Column("pinned", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("channel", "provider", name=op.f("pk_provider_states")),
    )
    op.create_table(
        "provider_changes",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("channel", _CHANNEL, nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("weight_before", sa.Integer(), nullable=False),
        sa.Column("weight_after", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("actor", sa.String(length=320), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_changes")),
    )
    op.create_index(op.f("ix_provider_changes_at"), "provider_changes", ["at"])
    op.create_table(
        "provider_errors",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("at", _TIME, nullable=False),
        sa.Column("provider", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_errors")),
    )
    op.create_index(op.f("ix_provider_errors_at"), "provider_errors", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_provider_errors_at"), table_name="provider_errors")
    op.drop_table("provider_errors")
    op.drop_index(op.f("ix_provider_changes_at"), table_name="provider_changes")
    op.drop_table("provider_changes")
    op.drop_table("provider_states")
