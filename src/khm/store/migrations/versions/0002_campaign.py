"""campaigns: a ``campaign`` table and ``touch.campaign_id``

Revision ID: 0002_campaign
Revises: 0001_initial
Create Date: 2026-11-30 09:00:00

A campaign (``khm log --campaign KIND``) is one row here; each of its touches points to
it, so ``khm touch delete --campaign ID`` removes them together. Existing touches keep a
NULL ``campaign_id``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_campaign"
down_revision = "0001_initial"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "campaign",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("selection", sa.String(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("touch", schema=None) as batch_op:
        batch_op.add_column(sa.Column("campaign_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_touch_campaign_id", "campaign", ["campaign_id"], ["id"])
        batch_op.create_index("ix_touch_campaign_id", ["campaign_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("touch", schema=None) as batch_op:
        batch_op.drop_index("ix_touch_campaign_id")
        batch_op.drop_constraint("fk_touch_campaign_id", type_="foreignkey")
        batch_op.drop_column("campaign_id")
    op.drop_table("campaign")
