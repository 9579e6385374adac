"""``ivr storage copy``: a machine's files into the database and back, byte for byte,
idempotent, and never bringing back a recording retention or an erasure removed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.db import database
from ivr.privacy.keys import new_key
from ivr.storage import DatabaseStorage, FileStorage, storage
from models import PromptFile, Voicemail
from tests.conftest import CliRunner
from tests.ivr.console.conftest import WAV, world  # noqa: F401 - the shared fixture

KEY = new_key()
SEALED_AUDIO = b"RIFF" + bytes(range(256)) * 1000


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(IVR_STORAGE_KEYS=KEY)


@pytest.fixture
def held(app, world, db_session):  # noqa: F811
    """Two recordings in the folder (A's sealed, B's plain) and one prompt."""
    a, b = (world["tickets"][k].voicemails[0] for k in ("a", "b"))
    storage(app).write(a.storage_path, SEALED_AUDIO)
    prompt = PromptFile(
        station_id=world["stations"]["a"].id,
        name="notice.wav",
        storage_path="prompts/1/notice.wav",
        size_bytes=len(WAV),
        sha256="0" * 64,
        duration_seconds=1.0,
    )
    db_session.add(prompt)
    db_session.commit()
    storage(app).write(prompt.storage_path, WAV, sealed=False)
    return {"a": a.storage_path, "b": b.storage_path, "prompt": prompt.storage_path}


def _backends(app):  # type: ignore[no-untyped-def]
    config = app.config["IVR"]
    return FileStorage(config.storage_dir, (KEY,)), DatabaseStorage(database(app).engine, (KEY,))


def test_into_the_database_and_back(app, runner, held):
    files, db = _backends(app)
    copied = runner.invoke("storage", "copy", "--to", "database")
    assert copied.exit_code == 0, copied.output
    assert "files → database: 3 copied, 0 already there, 0 missing" in copied.output
    for key in held.values():
        with files.open_stored(key) as source, db.open_stored(key) as copy:
            assert copy.read() == source.read()  # as stored: sealed stays sealed
    assert db.read(held["a"]) == SEALED_AUDIO and db.read(held["b"]) == WAV

    again = runner.invoke("storage", "copy", "--to", "database")
    assert "0 copied, 3 already there" in again.output

    for key in held.values():
        files.remove(key)
    back = runner.invoke("storage", "copy", "--to", "files")
    assert back.exit_code == 0, back.output
    assert "database → files: 3 copied" in back.output
    assert files.read(held["a"]) == SEALED_AUDIO and files.read(held["prompt"]) == WAV


def test_a_file_a_row_names_but_the_source_lacks_is_counted(app, runner, held):
    FileStorage(app.config["IVR"].storage_dir).remove(held["b"])
    done = runner.invoke("storage", "copy", "--to", "database")
    assert "2 copied, 0 already there, 1 missing from files" in done.output


def test_what_retention_removed_since_is_not_kept_in_the_target(app, runner, held, db_session):
    _files, db = _backends(app)
    runner.invoke("storage", "copy", "--to", "database")
    voicemail = db_session.scalars(select(Voicemail).where(Voicemail.storage_path == held["a"]))
    voicemail.one().storage_path = None  # as retention does, then it removes the file
    db_session.commit()
    storage(app).remove(held["a"])

    warned = runner.invoke("storage", "copy", "--to", "database")
    assert "1 file(s) in database are named by no row" in warned.output
    assert db.exists(held["a"])
    pruned = runner.invoke("storage", "copy", "--to", "database", "--prune")
    assert pruned.exit_code == 0 and "1 pruned" in pruned.output
    assert not db.exists(held["a"]) and db.exists(held["b"])


def test_pruning_the_backend_in_use_is_refused(make_app):
    app = make_app(IVR_STORAGE_BACKEND="database")
    refused = CliRunner(app).invoke("storage", "copy", "--to", "database", "--prune")
    assert refused.exit_code == 1 and "IVR_STORAGE_BACKEND is database" in refused.output


def test_the_help_says_how_to_move(runner):
    shown = runner.invoke("storage", "copy", "--help")
    assert "--to [files|database]" in shown.output
    assert "IVR_STORAGE_BACKEND=database" in shown.output


def test_an_unknown_backend_stops_the_start_with_its_name(tmp_path):
    import os
    import subprocess
    import sys

    env = {**os.environ, "IVR_INSTANCE_DIR": str(tmp_path), "IVR_STORAGE_BACKEND": "s3"}
    done = subprocess.run(
        [sys.executable, "-m", "ivr.cli", "db", "current"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "Error: IVR_STORAGE_BACKEND='s3': expected files or database" in done.stderr
