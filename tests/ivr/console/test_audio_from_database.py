"""With ``IVR_STORAGE_BACKEND=database`` the console plays a recording from whichever
web host is asked: streamed from the database's chunks, ranges answered with 206 and
only the chunks they touch fetched, scoped and audited as from a folder."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import event, select

from ivr.db import database
from ivr.privacy.keys import new_key
from ivr.storage import storage
from ivr.storage.database import CHUNK_SIZE
from models import AuditLog
from tests.conftest import fresh

KEY = new_key()
AUDIO = b"RIFF" + os.urandom(4 * CHUNK_SIZE + 777)  # five chunks


@pytest.fixture(params=["plain", "sealed"])
def app(request, make_app):  # type: ignore[no-untyped-def]
    keys = {"IVR_STORAGE_KEYS": KEY} if request.param == "sealed" else {}
    return make_app(IVR_STORAGE_BACKEND="database", **keys)


@pytest.fixture
def recording(app, world, db_session):  # type: ignore[no-untyped-def]
    """Ticket A's voicemail, its recording held in the database only."""
    voicemail = world["tickets"]["a"].voicemails[0]
    db_session.commit()  # the read above began a transaction: end it
    storage(app).write(voicemail.storage_path, AUDIO)
    (app.config["IVR"].storage_dir / voicemail.storage_path).unlink()  # no file to fall back on
    return voicemail


@pytest.fixture
def chunk_fetches(app):  # type: ignore[no-untyped-def]
    fetched: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        if "FROM storage_chunks" in statement:
            fetched.append(statement)

    engine = database(app).engine
    event.listen(engine, "before_cursor_execute", seen)
    yield fetched
    event.remove(engine, "before_cursor_execute", seen)


def test_a_range_is_served_from_the_database(app, recording, login, db_session, chunk_fetches):
    browser = login("worker-a")
    url = f"/console/voicemails/{recording.id}/audio"
    start, end = 3 * CHUNK_SIZE + 10, 3 * CHUNK_SIZE + 5000
    part = browser.get(url, headers={"Range": f"bytes={start}-{end}"})
    assert part.status_code == 206 and part.data == AUDIO[start : end + 1]
    assert part.headers["Content-Range"] == f"bytes {start}-{end}/{len(AUDIO)}"
    assert part.headers["Cache-Control"] == "private, no-store"
    assert len(chunk_fetches) <= 3  # of five: the first (sealed?) and the range's
    assert database(app).engine.pool.checkedout() == 0  # no connection kept for the stream
    whole = browser.get(url)
    assert whole.status_code == 200 and whole.data == AUDIO
    assert browser.get(url, headers={"If-None-Match": whole.headers["ETag"]}).status_code == 304
    plays = fresh(db_session).scalars(select(AuditLog).where(AuditLog.action == "voicemail.play"))
    assert len(plays.all()) == 2  # a range from the middle out of the blue is a play too


def test_scoping_holds(recording, login):
    url = f"/console/voicemails/{recording.id}/audio"
    assert login("worker-b").get(url).status_code == 404


def test_a_recording_the_database_lacks_is_not_found(app, recording, login):
    storage(app).remove(recording.storage_path)
    assert login("worker-a").get(f"/console/voicemails/{recording.id}/audio").status_code == 404
