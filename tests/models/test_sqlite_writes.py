"""SQLite under concurrent writers: transactions wait their turn instead of failing."""

import multiprocessing

from sqlalchemy import text

from models.db import make_engine
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
