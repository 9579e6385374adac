"""A change counter for the call path's cache, kept by triggers.

SQLite's batch mode rebuilds a table to alter it, which drops its triggers: a later
migration that alters one of these tables in batch mode must create them again.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Fixed here rather than imported: a migration must not change when the models do.
TABLES = ("stations", "hotline_numbers", "on_duty_phones", "menu_versions")
BUMP = (
    "INSERT INTO cache_generations (name, value) VALUES ('call_path', 1) "
    "ON CONFLICT (name) DO UPDATE SET value = cache_generations.value + 1"
)


def upgrade() -> None:
    op.create_table(
        "cache_generations",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_generations")),
    )
    op.execute("INSERT INTO cache_generations (name, value) VALUES ('call_path', 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION ivr_bump_call_path() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in TABLES:
            op.execute(
                f"CREATE TRIGGER {table}_bump_call_path AFTER INSERT OR UPDATE OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION ivr_bump_call_path()"
            )
        return
    for table in TABLES:
        for event in ("INSERT", "UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER {table}_{event.lower()}_bump_call_path AFTER {event} ON {table} "
                f"BEGIN {BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_bump_call_path ON {table}")
        op.execute("DROP FUNCTION IF EXISTS ivr_bump_call_path()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_{event}_bump_call_path")
    op.drop_table("cache_generations")
