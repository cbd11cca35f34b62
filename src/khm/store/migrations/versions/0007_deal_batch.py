"""deal_batch: deals carry the import batch that added them, so khm import undo reverts a
deals import

Revision ID: 0007_deal_batch
Revises: 0006_import_batch
Create Date: 2026-12-01 12:10:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_deal_batch"
down_revision = "0006_import_batch"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.add_column(sa.Column("import_batch_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_deal_import_batch_id", ["import_batch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("deal", schema=None) as batch_op:
        batch_op.drop_index("ix_deal_import_batch_id")
        batch_op.drop_column("import_batch_id")
