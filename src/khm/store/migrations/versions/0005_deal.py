"""deals: a ``deal`` table (``khm import deals``)

Revision ID: 0005_deal
Revises: 0004_text
Create Date: 2026-12-02 09:00:00

One row per CRM opportunity, upserted by its key; ``status`` (open, won, lost) is decided
from the stage at import. Existing tables are untouched.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_deal"
down_revision = "0004_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deal",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("product", sa.String(length=200), nullable=True),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("created", sa.Date(), nullable=True),
        sa.Column("closed", sa.Date(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.ForeignKeyConstraint(["owner"], ["rep.handle"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.create_index("ix_deal_key", ["key"], unique=True)
        batch_op.create_index("ix_deal_account_status", ["account_id", "status"], unique=False)
        batch_op.create_index("ix_deal_owner", ["owner"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_owner")
        batch_op.drop_index("ix_deal_account_status")
        batch_op.drop_index("ix_deal_key")
    op.drop_table("deal")
