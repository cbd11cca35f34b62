"""stage_change: each account's lifecycle stages with their dates

Revision ID: 0011_stage_history
Revises: 0010_field_history
Create Date: 2026-12-01 12:00:00.000000

One row per stage change (``khm stage``, an account import's lifecycle_stage, deals);
``import_batch_id`` marks the changes an import recorded, so ``khm import undo`` removes
them. Existing databases start with an empty history.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_stage_history"
down_revision = "0010_field_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "stage_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("text", sa.String(length=64), nullable=True),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("stage_change", schema=None) as batch_op:
        batch_op.create_index("ix_stage_change_account_date", ["account_id", "date"], unique=False)
        batch_op.create_index("ix_stage_change_date", ["date"], unique=False)
        batch_op.create_index("ix_stage_change_import_batch_id", ["import_batch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("stage_change", schema=None) as batch_op:
        batch_op.drop_index("ix_stage_change_import_batch_id")
        batch_op.drop_index("ix_stage_change_date")
        batch_op.drop_index("ix_stage_change_account_date")
    op.drop_table("stage_change")
