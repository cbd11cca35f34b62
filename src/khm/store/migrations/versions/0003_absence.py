"""absence: a rep away from a day to a day

Revision ID: 0003_absence
Revises: 0002_campaign
Create Date: 2026-12-01 10:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_absence"
down_revision = "0002_campaign"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "absence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep", sa.String(length=64), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rep"],
            ["rep.handle"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.create_index("ix_absence_rep_end", ["rep", "end_date"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("absence", schema=None) as batch_op:
        batch_op.drop_index("ix_absence_rep_end")

    op.drop_table("absence")
