"""four eyes: a campaign's review (submitted, approved or returned, by whom, with what
comment) and the fingerprint of what was approved

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaigns.core.models

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_STAMP = campaigns.core.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.add_column(sa.Column("creator_role", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("review_state", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("submitted_at", _STAMP, nullable=True))
        batch_op.add_column(sa.Column("reviewed_by", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("reviewed_at", _STAMP, nullable=True))
        batch_op.add_column(sa.Column("review_comment", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("approved_fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_campaigns_review_state"), ["review_state"])


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.drop_index(batch_op.f("ix_campaigns_review_state"))
        for column in (
            "approved_fingerprint",
            "review_comment",
            "reviewed_at",
            "reviewed_by",
            "submitted_at",
            "review_state",
            "creator_role",
        ):
            batch_op.drop_column(column)
