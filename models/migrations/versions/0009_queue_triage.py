"""The triage queue: a station's queue in queue order, and search indexes.

``ix_tickets_station_active_order`` serves a station's (or a district's) active queue, and
its counts, straight from the index in queue order; ``ix_tickets_station_order`` the same
for every status, and ``ix_tickets_order`` the city's every-status list (the API's
default). On PostgreSQL, trigram indexes (pg_trgm, a trusted extension) let a search for
any part of a caller's number, or for three or more characters of a transcript, avoid
reading every ticket or transcript. They are not in the models: Alembic cannot compare an
operator-class index, and SQLite has no use for them (it scans; see README).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")
ACTIVE = "status != 'resolved'"
TRIGRAM_INDEXES = {  # name: (table, column); migrations/env.py and the drift test skip them
    "ix_tickets_caller_number_trgm": ("tickets", "caller_number"),
    "ix_transcripts_text_trgm": ("transcripts", "text"),
}


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tickets_station_active_order",
            ["station_id", "priority", "due_at", "id"],
            unique=False,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
        batch_op.create_index(
            "ix_tickets_station_order", ["station_id", "priority", "due_at", "id"], unique=False
        )
        batch_op.create_index("ix_tickets_order", ["priority", "due_at", "id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except sa.exc.DBAPIError as exc:  # no right to create it: search works, by scanning
        log.warning("pg_trgm unavailable (%s); searches will scan", exc.orig)
        return
    for name, (table, column) in TRIGRAM_INDEXES.items():
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({column} gin_trgm_ops)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name in TRIGRAM_INDEXES:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    with op.batch_alter_table("tickets", schema=None) as batch_op:
        batch_op.drop_index("ix_tickets_order")
        batch_op.drop_index("ix_tickets_station_order")
        batch_op.drop_index("ix_tickets_station_active_order")
