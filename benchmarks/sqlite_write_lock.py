"""Waiting for SQLite's write lock: SQLite's own busy handler beside ours, in one run.

Several processes write at once, each transaction short (a few inserts and a little work
while holding the lock, as a webhook's write does). The script prints, for each way of
waiting, how long writers waited for the lock (p50 / p99 / max) and transactions per
second. "sqlite" is the driver's busy timeout alone (SQLite sleeps 1, 2, 5 … 100 ms
between tries); "ivr" is ``models.db``: a 5 ms busy timeout, asked again until the
budget ends.

    .venv/bin/python benchmarks/sqlite_write_lock.py
    .venv/bin/python benchmarks/sqlite_write_lock.py --writers 6 --transactions 300 --hold-ms 3
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from models.db import make_engine  # noqa: E402


def _work(hold_ms: float) -> None:
    """CPU work while holding the lock (a webhook's ORM flush, say)."""
    until = time.perf_counter() + hold_ms / 1000
    while time.perf_counter() < until:
        pass


def _writer_sqlite(path: str, count: int, hold_ms: float, start, out) -> None:  # type: ignore[no-untyped-def]
    import sqlite3

    connection = sqlite3.connect(path, timeout=30, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=NORMAL")
    waits = []
    start.wait()
    for i in range(count):
        asked = time.perf_counter()
        connection.execute("BEGIN IMMEDIATE")
        waits.append(time.perf_counter() - asked)
        connection.execute("INSERT INTO t (x) VALUES (?)", (i,))
        _work(hold_ms)
        connection.execute("COMMIT")
        _work(hold_ms)  # the rest of the request, outside the lock
    out.put(waits)


def _writer_ivr(path: str, count: int, hold_ms: float, start, out) -> None:  # type: ignore[no-untyped-def]
    engine = make_engine(f"sqlite:///{path}", budget=30)
    waits = []
    with engine.connect() as connection:
        connection.exec_driver_sql("SELECT 1")
        connection.rollback()
        start.wait()
        for i in range(count):
            asked = time.perf_counter()
            connection.begin()  # BEGIN IMMEDIATE through models.db
            waits.append(time.perf_counter() - asked)
            connection.exec_driver_sql("INSERT INTO t (x) VALUES (?)", (i,))
            _work(hold_ms)
            connection.commit()
            _work(hold_ms)
    engine.dispose()
    out.put(waits)


def run(kind: str, writers: int, count: int, hold_ms: float) -> tuple[list[float], float]:
    folder = Path(tempfile.mkdtemp(prefix="write-lock-"))
    path = str(folder / "lock.db")
    import sqlite3

    setup = sqlite3.connect(path, isolation_level=None)
    setup.execute("PRAGMA journal_mode=WAL")
    setup.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, x INTEGER)")
    setup.close()
    context = multiprocessing.get_context("spawn")
    start, out = context.Event(), context.Queue()
    target = _writer_sqlite if kind == "sqlite" else _writer_ivr
    processes = [
        context.Process(target=target, args=(path, count, hold_ms, start, out))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    time.sleep(1.0)  # every writer connected and waiting at the start line
    began = time.perf_counter()
    start.set()
    waits: list[float] = []
    for _ in processes:
        waits.extend(out.get(timeout=600))
    elapsed = time.perf_counter() - began
    for process in processes:
        process.join(30)
    for leftover in folder.iterdir():
        leftover.unlink()
    folder.rmdir()
    return waits, writers * count / elapsed


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writers", type=int, default=4, help="processes writing at once")
    parser.add_argument("--transactions", type=int, default=200, help="per writer")
    parser.add_argument("--hold-ms", type=float, default=2.0, help="work inside each lock")
    parser.add_argument("--rounds", type=int, default=2, help="alternating runs of each")
    args = parser.parse_args()
    print(
        f"{args.writers} writers x {args.transactions} transactions, "
        f"{args.hold_ms:g} ms of work inside the lock and as much outside; "
        f"{multiprocessing.cpu_count()} cores"
    )
    print(f"{'waiting':10} {'round':>5} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'tx/s':>8}")
    for round_ in range(1, args.rounds + 1):
        for kind in ("sqlite", "ivr"):
            waits, rate = run(kind, args.writers, args.transactions, args.hold_ms)
            ms = [w * 1000 for w in waits]
            print(
                f"{kind:10} {round_:>5} {statistics.median(ms):8.1f} "
                f"{percentile(ms, 0.99):8.1f} {max(ms):8.1f} {rate:8.0f}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
