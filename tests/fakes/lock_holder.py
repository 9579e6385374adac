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
url = sys.argv[1]
if url.startswith("sqlite"):
    import sqlite3
    connection = sqlite3.connect(url.split("///", 1)[1], isolation_level=None)
    connection.execute("BEGIN EXCLUSIVE")
    connection.execute("UPDATE calls SET status = status WHERE id = -1")
else:
    connection = create_engine(url).connect()
    connection.execute(text(
        "LOCK TABLE calls, call_events, voicemails, tickets IN ACCESS EXCLUSIVE MODE"
    ))
print("locked", flush=True)
sys.stdin.readline()
"""


@contextmanager
def database_locked(url: str) -> Iterator[None]:
    holder = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, url],
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
