"""files students' replies carried, checked before they are kept

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "reply_attachments",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("inbound_id", _ID, nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=True),
        sa.Column("refused", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_messages.id"],
            name=op.f("fk_reply_attachments_inbound_id_inbound_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reply_attachments")),
    )
    op.create_index(op.f("ix_reply_attachments_inbound_id"), "reply_attachments", ["inbound_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_reply_attachments_inbound_id"), table_name="reply_attachments")
    op.drop_table("reply_attachments")
