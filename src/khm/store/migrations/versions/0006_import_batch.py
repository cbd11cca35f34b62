"""import_batch: every import is a batch that khm import undo reverts

Revision ID: 0006_import_batch
Revises: 0005_deal
Create Date: 2026-12-01 10:40:00.000000

The rows an import inserts carry its id (``import_batch_id`` on account, rep, touch);
``import_change`` keeps the earlier values of the rows it updated.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_import_batch"
down_revision = "0005_deal"
branch_labels = None
depends_on = None

_TABLES = ("account", "rep", "touch")


def upgrade() -> None:
    op.create_table(
        "import_batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("file", sa.String(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("skipped", sa.Integer(), nullable=False),
        sa.Column("undone_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    op.create_table(
        "import_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("entity", sa.String(length=32), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batch.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("import_change", schema=None) as batch_op:
        batch_op.create_index("ix_import_change_batch_id", ["batch_id"], unique=False)
        batch_op.create_index("ix_import_change_row", ["entity", "row_id"], unique=False)
    for name in _TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.add_column(sa.Column("import_batch_id", sa.Integer(), nullable=True))
            batch_op.create_index(f"ix_{name}_import_batch_id", ["import_batch_id"], unique=False)


def downgrade() -> None:
    for name in _TABLES:
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(f"ix_{name}_import_batch_id")
            batch_op.drop_column("import_batch_id")
    with op.batch_alter_table("import_change", schema=None) as batch_op:
        batch_op.drop_index("ix_import_change_row")
        batch_op.drop_index("ix_import_change_batch_id")
    op.drop_table("import_change")
    op.drop_table("import_batch")
