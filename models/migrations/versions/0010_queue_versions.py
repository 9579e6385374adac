"""Per-station queue versions for the console's live queue, kept by triggers.

Every insert, update or delete of a ticket, and every entry added to a ticket's trail,
adds one to the version of the ticket's station and of the station it was referred from
(before and after an update, so a referral counts on both sides); 0 stands for the
unassigned queue. A console polls these counters, one row per station, instead of the
tickets. PostgreSQL bumps each station once per statement (transition tables, keys in
order, so two writers lock counters in the same order); SQLite once per row.

SQLite's batch mode rebuilds a table to alter it, which drops its triggers: a later
migration that alters ``tickets`` or ``ticket_events`` in batch mode must create them
again (``create_sqlite_triggers`` below).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

BUMP = (
    "INSERT INTO queue_versions (station_id, version) SELECT {key}, 1 WHERE {when} "
    "ON CONFLICT (station_id) DO UPDATE SET version = queue_versions.version + 1"
)


def _bumps(row: str, other: str | None = None) -> list[str]:
    """SQLite: bump ``row``'s station (0: unassigned) and the station it was referred from,
    skipping what ``other`` (the row before an update) already bumps."""
    station = f"coalesce({row}.station_id, 0)"
    referred = f"{row}.referred_from_station_id"
    statements = [
        BUMP.format(key=station, when="1"),
        BUMP.format(key=referred, when=f"{referred} IS NOT NULL"),
    ]
    if other is not None:  # an update: the old row's stations, when they differ
        statements = [
            BUMP.format(key=station, when=f"{station} IS NOT coalesce({other}.station_id, 0)"),
            BUMP.format(
                key=referred,
                when=f"{referred} IS NOT NULL AND {referred} IS NOT {other}.referred_from_station_id",
            ),
        ]
    return statements


SQLITE_TRIGGERS = {
    "tickets_insert_bump_queue": ("AFTER INSERT ON tickets", _bumps("NEW")),
    "tickets_update_bump_queue": (
        "AFTER UPDATE ON tickets",
        _bumps("NEW") + _bumps("OLD", other="NEW"),
    ),
    "tickets_delete_bump_queue": ("AFTER DELETE ON tickets", _bumps("OLD")),
    "ticket_events_insert_bump_queue": (
        "AFTER INSERT ON ticket_events",
        [
            "INSERT INTO queue_versions (station_id, version) "
            "SELECT coalesce(station_id, 0), 1 FROM tickets WHERE id = NEW.ticket_id "
            "ON CONFLICT (station_id) DO UPDATE SET version = queue_versions.version + 1",
            "INSERT INTO queue_versions (station_id, version) "
            "SELECT referred_from_station_id, 1 FROM tickets "
            "WHERE id = NEW.ticket_id AND referred_from_station_id IS NOT NULL "
            "ON CONFLICT (station_id) DO UPDATE SET version = queue_versions.version + 1",
        ],
    ),
}

PG_STATIONS = (
    "SELECT coalesce(station_id, 0) FROM {rows} "
    "UNION SELECT referred_from_station_id FROM {rows} WHERE referred_from_station_id IS NOT NULL"
)
PG_BUMP = (
    "INSERT INTO queue_versions (station_id, version) SELECT s, 1 FROM ({stations}) AS x(s) "
    "ORDER BY s ON CONFLICT (station_id) DO UPDATE SET version = queue_versions.version + 1"
)
PG_FUNCTION = f"""
CREATE FUNCTION ivr_bump_queue_versions() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_TABLE_NAME = 'ticket_events' THEN
    {
    PG_BUMP.format(
        stations=PG_STATIONS.format(
            rows="(SELECT t.* FROM tickets t WHERE t.id IN (SELECT ticket_id FROM new_rows)) AS t"
        )
    )
};
  ELSIF TG_OP = 'INSERT' THEN
    {PG_BUMP.format(stations=PG_STATIONS.format(rows="new_rows"))};
  ELSIF TG_OP = 'DELETE' THEN
    {PG_BUMP.format(stations=PG_STATIONS.format(rows="old_rows"))};
  ELSE
    {
    PG_BUMP.format(
        stations=PG_STATIONS.format(
            rows="(SELECT * FROM new_rows UNION ALL SELECT * FROM old_rows) AS t"
        )
    )
};
  END IF;
  RETURN NULL;
END $$
"""
PG_TRIGGERS = {
    "tickets_insert_bump_queue": "AFTER INSERT ON tickets REFERENCING NEW TABLE AS new_rows",
    "tickets_update_bump_queue": (
        "AFTER UPDATE ON tickets REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows"
    ),
    "tickets_delete_bump_queue": "AFTER DELETE ON tickets REFERENCING OLD TABLE AS old_rows",
    "ticket_events_insert_bump_queue": (
        "AFTER INSERT ON ticket_events REFERENCING NEW TABLE AS new_rows"
    ),
}


def create_sqlite_triggers() -> None:
    for name, (when, statements) in SQLITE_TRIGGERS.items():
        body = "; ".join(statements)
        op.execute(f"CREATE TRIGGER {name} {when} BEGIN {body}; END")


def upgrade() -> None:
    op.create_table(
        "queue_versions",
        sa.Column("station_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("station_id", name=op.f("pk_queue_versions")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for name, when in PG_TRIGGERS.items():
            op.execute(
                f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT "
                "EXECUTE FUNCTION ivr_bump_queue_versions()"
            )
        return
    create_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for name, when in PG_TRIGGERS.items():
            table = when.split(" ON ")[1].split()[0]
            op.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ivr_bump_queue_versions()")
    else:
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("queue_versions")
