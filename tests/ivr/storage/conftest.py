"""Storage backends under test: the local folder and the database, each on the test's
database (SQLite and PostgreSQL), so every contract test runs four ways."""

from __future__ import annotations

import os

import pytest

from ivr.db import database
from ivr.privacy.keys import new_key
from ivr.storage import DatabaseStorage, FileStorage, Storage

OLD, NEW = new_key(), new_key()
# Not all zeros, so a window of it is recognisable.
AUDIO = b"RIFF" + os.urandom(200_000)


@pytest.fixture(params=["files", "database"])
def make_storage(request, app, tmp_path):  # type: ignore[no-untyped-def]
    """``make_storage(keys, chunk_size=...)``: a backend on this test's folder or database."""

    def build(keys: tuple[str, ...] = (), chunk_size: int | None = None) -> Storage:
        if request.param == "files":
            return FileStorage(tmp_path / "stored", keys)
        extra = {"chunk_size": chunk_size} if chunk_size else {}
        return DatabaseStorage(database(app).engine, keys, **extra)

    return build
