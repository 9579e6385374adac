"""Queue indexes found by benchmarks/queue_scale.py at 200k tickets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_referred_from_station_id",
            ["referred_from_station_id"],
            unique=False,
            sqlite_where=sa.text("referred_from_station_id IS NOT NULL"),
            postgresql_where=sa.text("referred_from_station_id IS NOT NULL"),
        )
        batch_op.create_index(
            "ix_tickets_active_order",
            ["priority", "due_at", "id"],
            unique=False,
            sqlite_where=sa.text("status != 'resolved'"),
            postgresql_where=sa.text("status != 'resolved'"),
        )


def downgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_active_order")
        batch_op.drop_index("ix_tickets_referred_from_station_id")
