"""method_history: the method versions khm ran with, and the ``khm tag`` runs

Revision ID: 0008_method_history
Revises: 0007_deal_batch
Create Date: 2026-12-01 12:10:00.000000

``method_version`` keeps each method file's text by its content hash, with when khm first
ran with it; ``tag_run`` keeps each ``khm tag`` that wrote (when, for which day, with which
method), and ``tag_change.tag_run_id`` names the run of each change. Nothing is seeded: a
past day's tags are the current tags with the later ``tag_change`` rows undone, which
holds for the rows written before this revision too (khm.services.history).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008_method_history"
down_revision = "0007_deal_batch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "method_version",
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("text", sa.String(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(), nullable=True),
        sa.Column("first_seen_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("hash"),
    )
    with op.batch_alter_table("method_version", schema=None) as batch_op:
        batch_op.create_index("ix_method_version_first_seen_at", ["first_seen_at"], unique=False)
    op.create_table(
        "tag_run",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ran_at", sa.DateTime(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("method_hash", sa.String(length=64), nullable=True),
        sa.Column("who", sa.String(length=200), nullable=False),
        sa.Column("accounts", sa.Integer(), nullable=False),
        sa.Column("changes", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    # a plain ADD COLUMN (no constraint), so SQLite does not copy the table
    op.add_column("tag_change", sa.Column("tag_run_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("tag_change", schema=None) as batch_op:
        batch_op.drop_column("tag_run_id")
    op.drop_table("tag_run")
    with op.batch_alter_table("method_version", schema=None) as batch_op:
        batch_op.drop_index("ix_method_version_first_seen_at")
    op.drop_table("method_version")
