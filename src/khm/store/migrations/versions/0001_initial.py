"""initial schema

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-23 11:22:02.759175
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_initial"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rep",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handle", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("capacity", sa.Float(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_rep_handle"), ["handle"], unique=True)

    op.create_table(
        "account",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("name", sa.String(length=400), nullable=False),
        sa.Column("country", sa.String(length=2), nullable=True),
        sa.Column("product_lines", sa.JSON(), nullable=False),
        sa.Column("revenue", sa.Float(), nullable=True),
        sa.Column("employees", sa.Float(), nullable=True),
        sa.Column("custom", sa.JSON(), nullable=False),
        sa.Column("owner", sa.String(length=64), nullable=True),
        sa.Column("type", sa.String(length=16), nullable=True),
        sa.Column("category", sa.String(length=1), nullable=True),
        sa.Column("type_manual", sa.Boolean(), nullable=False),
        sa.Column("category_manual", sa.Boolean(), nullable=False),
        sa.Column("manual_reason", sa.String(), nullable=True),
        sa.Column("tagged_at", sa.DateTime(), nullable=True),
        sa.Column("lifecycle_stage", sa.String(length=64), nullable=True),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner"],
            ["rep.handle"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_key"), ["key"], unique=True)
        batch_op.create_index("ix_account_owner_archived", ["owner", "archived"], unique=False)
        batch_op.create_index("ix_account_type_category", ["type", "category"], unique=False)

    op.create_table(
        "tag_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=16), nullable=False),
        sa.Column("old", sa.String(length=64), nullable=True),
        sa.Column("new", sa.String(length=64), nullable=True),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("rule", sa.String(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("tag_change", schema=None) as batch_op:
        batch_op.create_index("ix_tag_change_account", ["account_id"], unique=False)
        batch_op.create_index("ix_tag_change_changed_at", ["changed_at"], unique=False)

    op.create_table(
        "touch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("rep", sa.String(length=64), nullable=True),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("note", sa.String(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["account.id"],
        ),
        sa.ForeignKeyConstraint(
            ["rep"],
            ["rep.handle"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("touch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_touch_account_kind_date", ["account_id", "kind", "date"], unique=False
        )
        batch_op.create_index("ix_touch_date", ["date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("touch", schema=None) as batch_op:
        batch_op.drop_index("ix_touch_date")
        batch_op.drop_index("ix_touch_account_kind_date")

    op.drop_table("touch")
    with op.batch_alter_table("tag_change", schema=None) as batch_op:
        batch_op.drop_index("ix_tag_change_changed_at")
        batch_op.drop_index("ix_tag_change_account")

    op.drop_table("tag_change")
    with op.batch_alter_table("account", schema=None) as batch_op:
        batch_op.drop_index("ix_account_type_category")
        batch_op.drop_index("ix_account_owner_archived")
        batch_op.drop_index(batch_op.f("ix_account_key"))

    op.drop_table("account")
    with op.batch_alter_table("rep", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rep_handle"))

    op.drop_table("rep")
