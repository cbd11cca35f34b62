"""field_change and account.customer_since: triggers that fire once, for the right reason

Revision ID: 0010_field_history
Revises: 0009_nps
Create Date: 2026-12-01 12:00:00.000000

``field_change`` keeps every change of an account's numeric field (a threshold trigger fires
on a crossing, not on a level); ``account.customer_since`` dates the customer's start (the
anniversary counts from it, never from the import).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_field_history"
down_revision = "0009_nps"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "field_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=200), nullable=False),
        sa.Column("old", sa.Float(), nullable=True),
        sa.Column("new", sa.Float(), nullable=True),
        sa.Column("changed_on", sa.Date(), nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("field_change", schema=None) as batch_op:
        batch_op.create_index(
            "ix_field_change_account_field", ["account_id", "field"], unique=False
        )
        batch_op.create_index("ix_field_change_changed_on", ["changed_on"], unique=False)
        batch_op.create_index("ix_field_change_import_batch_id", ["import_batch_id"], unique=False)
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("customer_since", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_column("customer_since")
    with op.batch_alter_table("field_change", schema=None) as batch_op:
        batch_op.drop_index("ix_field_change_import_batch_id")
        batch_op.drop_index("ix_field_change_changed_on")
        batch_op.drop_index("ix_field_change_account_field")
    op.drop_table("field_change")
