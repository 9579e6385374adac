from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

import models
from models.db import make_engine
from models.migrate import current_revision, downgrade, head_revision, modelled, upgrade


def _drift(engine):
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_object": modelled}
        context = MigrationContext.configure(connection, opts=opts)
        return compare_metadata(context, models.Base.metadata)


def test_migrations_create_exactly_the_models(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert _drift(engine) == []
    engine.dispose()


def test_migrations_go_down_and_up_again(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    upgrade(engine)
    upgrade(engine)  # repeating is harmless
    assert {t.name for t in models.Base.metadata.sorted_tables} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_the_queue_and_call_log_have_their_indexes(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    inspector = inspect(engine)
    ticket_indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("tickets")}
    assert ticket_indexes["ix_tickets_queue"] == ["station_id", "status", "priority", "due_at"]
    call_indexes = {i["name"]: i["column_names"] for i in inspector.get_indexes("calls")}
    assert call_indexes["ix_calls_station_started"] == ["station_id", "started_at"]
    caller_unique = {tuple(u["column_names"]) for u in inspector.get_unique_constraints("callers")}
    assert ("phone_number",) in caller_unique
    engine.dispose()


def test_postgresql_gets_the_search_indexes(empty_database_url):
    engine = make_engine(empty_database_url)
    upgrade(engine)
    inspector = inspect(engine)
    names = {i["name"] for t in ("tickets", "transcripts") for i in inspector.get_indexes(t)}
    assert "ix_tickets_station_active_order" in names
    if engine.dialect.name == "postgresql":
        assert {"ix_tickets_caller_number_trgm", "ix_transcripts_text_trgm"} <= names
    engine.dispose()


QUEUE_TRIGGERS = {
    "tickets_insert_bump_queue",
    "tickets_update_bump_queue",
    "tickets_delete_bump_queue",
    "ticket_events_insert_bump_queue",
}


def _triggers(engine) -> set[str]:
    query = (
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
        if engine.dialect.name == "sqlite"
        else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
    )
    with engine.connect() as connection:
        return set(connection.exec_driver_sql(query).scalars())


def test_the_triggers_survive_every_later_migration(empty_database_url):
    """SQLite's batch mode rebuilds a table to alter it, dropping its triggers: a migration
    after 0008 (the call path's counters) or 0010 (the live queue's) that rebuilds one of
    their tables, up or down, must create them again."""
    engine = make_engine(empty_database_url)
    upgrade(engine)
    at_head = _triggers(engine)
    assert at_head >= QUEUE_TRIGGERS
    # 0017's block list (and its trigger) goes with the downgrade below 0017 itself.
    call_path = {
        name
        for name in at_head
        if name.endswith("bump_call_path") and not name.startswith("blocked_numbers")
    }
    assert len(call_path) >= 2
    downgrade(engine, "0009")
    assert not QUEUE_TRIGGERS & _triggers(engine)
    assert _triggers(engine) >= call_path
    upgrade(engine)
    assert _triggers(engine) == at_head
    engine.dispose()
