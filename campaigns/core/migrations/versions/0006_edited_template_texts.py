"""message texts edited in the web app, versioned

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import campaigns.core.models

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_TIME = campaigns.core.models.UtcDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "template_texts",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("template", sa.String(length=200), nullable=False),
        sa.Column("part", sa.String(length=40), nullable=False),
        sa.Column("language", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("body", sa.Text(), nullable=True),
        sa.Column("created_by", sa.String(length=320), nullable=False),
        sa.Column("created_at", _TIME, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_template_texts")),
        sa.UniqueConstraint(
            "template",
            "part",
            "language",
            "version",
            name=op.f("uq_template_texts_template_part_language_version"),
        ),
    )


def downgrade() -> None:
    op.drop_table("template_texts")
