"""nps: an ``nps_response`` table (``khm nps``, ``khm import nps``)

Revision ID: 0009_nps
Revises: 0008_method_history
Create Date: 2026-12-01 12:00:00

One row per NPS answer (0-10) with its date, contact, comment and source; the rows an
import adds carry its batch id. Existing tables are untouched: an account's imported
``custom.nps`` stays its ``nps`` field until it has a response.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009_nps"
down_revision = "0008_method_history"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "nps_response",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=True),
        sa.Column("comment", sa.String(), nullable=True),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("import_batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["account.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("nps_response", schema=None) as batch_op:
        batch_op.create_index("ix_nps_response_account_date", ["account_id", "date"], unique=False)
        batch_op.create_index("ix_nps_response_date", ["date"], unique=False)
        batch_op.create_index("ix_nps_response_import_batch_id", ["import_batch_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("nps_response", schema=None) as batch_op:
        batch_op.drop_index("ix_nps_response_import_batch_id")
        batch_op.drop_index("ix_nps_response_date")
        batch_op.drop_index("ix_nps_response_account_date")
    op.drop_table("nps_response")
