"""Engines and sessions for SQLite (the embedded default) and PostgreSQL."""

from __future__ import annotations

import random
import re
import sqlite3
import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

SQLITE_BUSY_TIMEOUT_MS = 30_000
# Connecting to a PostgreSQL server that does not answer: give up quickly and let the
# caller fall back (a webhook spools, a worker retries) instead of hanging.
POSTGRES_CONNECT_TIMEOUT_S = 3
WRITE_STATEMENTS = ("insert", "update", "delete", "replace", "savepoint")
# Waiting for SQLite's write lock: SQLite's own busy handler sleeps 1, 2, 5, 10 … then
# 100 ms between tries, so under contention the lock sits free while its waiters sleep
# (a webhook queued behind a few short writers waited half a second). Connections keep
# SQLite's wait short (its first sleeps are 1 and 2 ms), and writers ask again, with a
# little jitter, until their budget ends.
SQLITE_SHORT_WAIT_MS = 5
SQLITE_BUSY = 5
IDLE = 0  # libpq's PQTRANS_IDLE: no transaction open on a PostgreSQL connection


def make_engine(url: str, budget: float | None = None, **kwargs: Any) -> Engine:
    """Build an engine for ``url`` with the settings this application relies on.

    SQLite: WAL (readers never block the writer), foreign keys enforced, a busy
    timeout, and by default every transaction opened with ``BEGIN IMMEDIATE``. SQLite's
    deferred transaction takes the write lock only at its first write, and if another
    connection wrote in between it fails with SQLITE_BUSY at once, whatever the busy
    timeout; taking the lock up front means a transaction waits its turn at BEGIN
    instead of failing half-way. Sessions that mostly read use :func:`deferred`.

    Every transaction may carry a time budget (:func:`budgeted`): how long it may wait
    for a lock or a statement before failing, so a webhook can fall back in time.
    ``budget`` gives every transaction of this engine that budget, set once per
    connection (PostgreSQL's timeouts as connection options), where :func:`budgeted`
    costs a ``SET LOCAL`` round trip at every transaction's start.
    """
    parsed = make_url(url)
    wait_ms = int(budget * 1000) if budget else None
    if parsed.get_backend_name() == "sqlite":
        connect_args = kwargs.pop("connect_args", {})
        connect_args.setdefault("timeout", (wait_ms or SQLITE_BUSY_TIMEOUT_MS) / 1000)
        connect_args.setdefault("check_same_thread", False)
        engine = create_engine(url, connect_args=connect_args, **kwargs)
        _configure_sqlite(engine, wait_ms or SQLITE_BUSY_TIMEOUT_MS)
        return engine
    # A connection the server dropped (a restart) is found before use, at the cost of a
    # round trip per checkout; a budgeted engine (webhooks) spares that round trip: a
    # dropped connection fails its one request, which falls back (spool, apology and a
    # voicemail), and SQLAlchemy then replaces the whole pool.
    kwargs.setdefault("pool_pre_ping", not wait_ms)
    connect_args = kwargs.pop("connect_args", {})
    connect_args.setdefault("connect_timeout", POSTGRES_CONNECT_TIMEOUT_S)
    if wait_ms:
        connect_args["options"] = (
            f"-c lock_timeout={wait_ms} -c statement_timeout={wait_ms} "
            + connect_args.get("options", "")
        ).strip()
    engine = create_engine(url, connect_args=connect_args, **kwargs)
    _configure_postgresql(engine)
    return engine


def _configure_sqlite(engine: Engine, default_wait_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_SHORT_WAIT_MS}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        options = connection.get_execution_options()
        budget = options.get("db_budget")
        wait_ms = int(budget * 1000) if budget else default_wait_ms
        info = connection.info
        info["write_wait_ms"] = wait_ms
        dbapi = connection.dialect.dbapi
        driver = connection.connection.dbapi_connection
        try:
            if options.get("sqlite_begin", "IMMEDIATE") == "DEFERRED":
                info["upgrade_on_write"] = True
                driver.execute("BEGIN DEFERRED")
            else:
                info["upgrade_on_write"] = False
                take_write_lock(driver, wait_ms)
        except dbapi.Error as error:
            raise exc.DBAPIError.instance("BEGIN", None, error, dbapi.Error) from error

    @event.listens_for(engine, "before_cursor_execute")
    def _upgrade_on_write(connection: Any, cursor: Any, statement: str, *_args: Any) -> None:
        upgrade_before_write(connection.info, cursor, statement)


def upgrade_before_write(info: dict, cursor: Any, statement: str) -> None:
    """In a deferred SQLite transaction, before its first write: end the read and take
    the write lock.

    A deferred transaction that has read holds a snapshot; its first write would fail at
    once with SQLITE_BUSY if anyone wrote since. End the read (it changed nothing) and
    queue for the write lock like any writer, within the busy timeout.
    """
    if not info.get("upgrade_on_write"):
        return
    if not statement.lstrip()[:9].lower().startswith(WRITE_STATEMENTS):
        return
    info["upgrade_on_write"] = False
    cursor.execute("COMMIT")
    take_write_lock(cursor, info.get("write_wait_ms", SQLITE_BUSY_TIMEOUT_MS))


def take_write_lock(executor: Any, wait_ms: int) -> None:
    """``BEGIN IMMEDIATE``, asked again until ``wait_ms`` is over.

    ``executor``: a DBAPI connection or cursor. Each try waits SQLite's short busy
    timeout (sleeps of 1 and 2 ms); between tries a jittered pause of up to half a
    millisecond keeps waiters from asking in step. The last refusal (SQLITE_BUSY,
    "database is locked") is raised when the wait is over.
    """
    deadline = time.monotonic() + wait_ms / 1000
    while True:
        try:
            executor.execute("BEGIN IMMEDIATE")
            return
        except sqlite3.OperationalError as error:
            if getattr(error, "sqlite_errorcode", SQLITE_BUSY) != SQLITE_BUSY:
                raise
            left = deadline - time.monotonic()
            if left <= 0:
                raise
            time.sleep(min(left, random.uniform(0, 0.0005)))


def _configure_postgresql(engine: Engine) -> None:
    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        budget = connection.get_execution_options().get("db_budget")
        if budget:
            wait = f"{int(budget * 1000)}ms"
            connection.exec_driver_sql(
                f"SET LOCAL lock_timeout = '{wait}'; SET LOCAL statement_timeout = '{wait}'"
            )


def deferred(engine: Engine) -> Engine:
    """The same engine, beginning SQLite transactions DEFERRED.

    For sessions that mostly read while others write: in WAL a deferred reader never
    blocks a writer, where an immediate one holds the write lock until it ends. Should
    such a session write, its read snapshot is ended at the first write and the write
    waits for the lock like any other (so it is not atomic with what it read before).
    """
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(sqlite_begin="DEFERRED")


def budgeted(engine: Engine, seconds: float) -> Engine:
    """The same engine, each transaction allowed ``seconds`` to wait for a lock or a
    statement before it fails (SQLite's busy timeout; PostgreSQL's lock and statement
    timeouts)."""
    return engine.execution_options(db_budget=seconds)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def insert_if_absent(
    session: Session, model: type, values: dict[str, Any], keys: list[str]
) -> None:
    """INSERT … ON CONFLICT (keys) DO NOTHING, on SQLite and PostgreSQL alike.

    Cheaper than a savepoint around an ORM insert, and never aborts the transaction when
    a concurrent request inserted the same row first.
    """
    from sqlalchemy.dialects import postgresql, sqlite

    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(model).values(**values).on_conflict_do_nothing(index_elements=keys)
    session.execute(statement)


class PlainSQL:
    """A SQLAlchemy connection's own DBAPI connection, for the few statements that run on
    every step of every call, where SQLAlchemy's statement machinery would cost ten times
    the statement. Same transaction as the connection; ``:name`` placeholders in either
    dialect; errors raised as SQLAlchemy's (``OperationalError`` for a lock not had in
    time), as from any other statement. Values are passed as the driver takes them: use
    :meth:`time` for timestamps, JSON as text.
    """

    _pyformat: dict[str, str] = {}

    def __init__(self, connection: Connection) -> None:
        self.dialect = connection.dialect
        self.raw = connection.connection.dbapi_connection
        self.info = connection.info
        self.sqlite = self.dialect.name == "sqlite"

    def sql(self, statement: str) -> str:
        if self.sqlite:
            return statement
        converted = self._pyformat.get(statement)
        if converted is None:  # psycopg's placeholders are %(name)s
            converted = re.sub(r"(?<![:\w]):(\w+)", r"%(\1)s", statement)
            self._pyformat[statement] = converted
        return converted

    def time(self, moment: datetime) -> Any:
        """A timestamp as SQLAlchemy stores it: naive UTC text on SQLite, timestamptz."""
        moment = moment.astimezone(UTC)
        return moment.strftime("%Y-%m-%d %H:%M:%S.%f") if self.sqlite else moment

    def one(
        self, statement: str, params: dict[str, Any] | None = None, alone: bool = False
    ) -> tuple | None:
        """Run ``statement``; its first row, if it returns any.

        ``alone``: on PostgreSQL, with no transaction open on the connection, the
        statement is a transaction of its own (autocommit), which spares the round trips
        of BEGIN and COMMIT; a statement that writes has committed, durably, when this
        returns. Inside an open transaction it runs in that transaction, like any other.
        For a read that needs no snapshot shared with what follows (each statement sees
        its own under READ COMMITTED anyway), or a write that is all of a transaction.
        """
        sql = self.sql(statement)
        autocommit = alone and not self.sqlite and self.raw.info.transaction_status == IDLE
        try:
            cursor = self.raw.cursor()
            try:
                if self.sqlite:
                    upgrade_before_write(self.info, cursor, sql)
                if autocommit:
                    self.raw.autocommit = True
                try:
                    cursor.execute(sql, params or {})
                finally:
                    if autocommit:
                        self.raw.autocommit = False
                return cursor.fetchone() if cursor.description is not None else None
            finally:
                cursor.close()
        except self.dialect.dbapi.Error as error:
            raise exc.DBAPIError.instance(sql, params, error, self.dialect.dbapi.Error) from error
