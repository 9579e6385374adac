"""Block lists: a station's or the city's abusive numbers, with a reason and an expiry.

The call path caches the lists per process, so the table's changes bump the
``call_path`` counter like those of stations and their numbers (migration 0008).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

import models.base

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None

BUMP = (
    "INSERT INTO cache_generations (name, value) VALUES ('call_path', 1) "
    "ON CONFLICT (name) DO UPDATE SET value = cache_generations.value + 1"
)
EVENTS = ("insert", "update", "delete")


def upgrade() -> None:
    op.create_table(
        "blocked_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("station_id", sa.Integer(), nullable=True),
        sa.Column("number", sa.String(length=32), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("expires_at", models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["station_id"],
            ["stations.id"],
            name=op.f("fk_blocked_numbers_station_id_stations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_blocked_numbers_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_blocked_numbers")),
    )
    op.create_index("ix_blocked_numbers_number", "blocked_numbers", ["number"])
    op.create_index("ix_blocked_numbers_station_id", "blocked_numbers", ["station_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE TRIGGER blocked_numbers_bump_call_path AFTER INSERT OR UPDATE OR DELETE "
            "OR TRUNCATE ON blocked_numbers FOR EACH STATEMENT "
            "EXECUTE FUNCTION ivr_bump_call_path()"
        )
        return
    for event in EVENTS:
        op.execute(
            f"CREATE TRIGGER blocked_numbers_{event}_bump_call_path AFTER {event.upper()} "
            f"ON blocked_numbers BEGIN {BUMP}; END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS blocked_numbers_bump_call_path ON blocked_numbers")
    else:
        for event in EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS blocked_numbers_{event}_bump_call_path")
    op.drop_index("ix_blocked_numbers_station_id", table_name="blocked_numbers")
    op.drop_index("ix_blocked_numbers_number", table_name="blocked_numbers")
    op.drop_table("blocked_numbers")
