"""SQLite under concurrent writers: transactions wait their turn instead of failing."""

import multiprocessing
import sqlite3
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from models.db import SQLITE_SHORT_WAIT_MS, make_engine
from models.migrate import upgrade

TRANSACTIONS = 150


def _read_then_write(url: str, start: multiprocessing.Event) -> None:
    engine = make_engine(url)
    start.wait()
    for _ in range(TRANSACTIONS):
        # The pattern that fails under SQLite's default deferred transactions: read,
        # then write, while another connection does the same.
        with engine.begin() as connection:
            value = connection.execute(text("SELECT name_en FROM districts WHERE id = 1")).scalar()
            connection.execute(
                text("UPDATE districts SET name_en = :v WHERE id = 1"), {"v": str(int(value) + 1)}
            )
    engine.dispose()


def test_concurrent_read_modify_write_never_hits_busy(tmp_path):
    url = f"sqlite:///{tmp_path / 'busy.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as connection:
        connection.execute(
            text("INSERT INTO districts (code, name_zh, name_en) VALUES ('d', 'd', '0')")
        )
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1

    context = multiprocessing.get_context("spawn")
    start = context.Event()
    workers = [context.Process(target=_read_then_write, args=(url, start)) for _ in range(3)]
    for worker in workers:
        worker.start()
    start.set()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]

    with engine.connect() as connection:
        total = connection.execute(text("SELECT name_en FROM districts WHERE id = 1")).scalar()
    # No lost update either: every increment landed.
    assert int(total) == 3 * TRANSACTIONS
    engine.dispose()


def _hold_write_lock(path: str, seconds: float) -> threading.Thread:
    """Another connection takes the write lock now and lets go after ``seconds``."""
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")

    def release() -> None:
        time.sleep(seconds)
        holder.execute("COMMIT")
        holder.close()

    thread = threading.Thread(target=release)
    thread.start()
    return thread


def test_a_writer_waits_for_the_lock_past_sqlites_own_short_wait(tmp_path):
    path = tmp_path / "wait.db"
    engine = make_engine(f"sqlite:///{path}", budget=3)
    with engine.begin() as connection:
        # SQLite's own wait stays short: its sleeps grow to 100 ms between tries.
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == SQLITE_SHORT_WAIT_MS
        connection.exec_driver_sql("CREATE TABLE t (x)")
    holder = _hold_write_lock(str(path), 0.3)
    started = time.monotonic()
    with engine.begin() as connection:  # BEGIN IMMEDIATE, asked again until let in
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert time.monotonic() - started >= 0.25
    holder.join()
    engine.dispose()


def test_a_writer_gives_up_when_its_budget_is_spent(tmp_path):
    path = tmp_path / "budget.db"
    engine = make_engine(f"sqlite:///{path}", budget=0.4)
    with engine.begin() as connection:
        connection.exec_driver_sql("CREATE TABLE t (x)")
    holder = _hold_write_lock(str(path), 1.5)
    started = time.monotonic()
    with pytest.raises(OperationalError, match="database is locked"), engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO t VALUES (1)")
    assert time.monotonic() - started >= 0.4
    # A deferred transaction reads meanwhile (WAL), and upgrading on its first write
    # waits the same way.
    reader = engine.execution_options(sqlite_begin="DEFERRED")
    with reader.connect() as connection, connection.begin():
        assert connection.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
        with pytest.raises(OperationalError, match="database is locked"):
            connection.exec_driver_sql("INSERT INTO t VALUES (2)")
    holder.join()
    engine.dispose()
