"""Another process that makes the database unavailable to writers until told to let go.

SQLite: an exclusive write transaction on the file. PostgreSQL: the call-path tables
locked in ACCESS EXCLUSIVE mode (nobody may even read them).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager

SCRIPT = r"""
import sys
from sqlalchemy import create_engine, text
url, mode = sys.argv[1], sys.argv[2]
if url.startswith("sqlite"):
    import sqlite3
    connection = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")  # in WAL mode readers still read
    connection.execute("UPDATE calls SET status = status WHERE id = -1")
else:
    connection = create_engine(url).connect()
    connection.execute(text(
        "LOCK TABLE calls, call_events, voicemails, tickets, ticket_events, callers "
        f"IN {mode} MODE"
    ))
print("locked", flush=True)
sys.stdin.readline()
"""


@contextmanager
def database_locked(url: str, readers_too: bool = True) -> Iterator[None]:
    """Writers wait until the block ends; on PostgreSQL readers of the call path too,
    unless ``readers_too`` is False (SQLite's readers always read, in WAL mode)."""
    mode = "ACCESS EXCLUSIVE" if readers_too else "EXCLUSIVE"
    holder = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, url, mode],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        yield
    finally:
        holder.kill()
        holder.wait(10)
