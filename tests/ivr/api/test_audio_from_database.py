"""``GET /voicemails/{id}/audio`` with ``IVR_STORAGE_BACKEND=database``: the recording a
worker host stored, served by any web host with ranges, sealed or not; the API's own
error when the database holds no recording."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from ivr.privacy.keys import new_key
from ivr.storage import storage
from ivr.storage.database import CHUNK_SIZE
from models import AuditLog, VoicemailState
from tests import factories
from tests.conftest import fresh
from tests.ivr.api.conftest import error_code

AUDIO = b"RIFF" + os.urandom(2 * CHUNK_SIZE + 99)


@pytest.fixture(params=["plain", "sealed"])
def app(request, make_app):  # type: ignore[no-untyped-def]
    keys = {"IVR_STORAGE_KEYS": new_key()} if request.param == "sealed" else {}
    return make_app(IVR_STORAGE_BACKEND="database", **keys)


@pytest.fixture
def voicemail(app, world, db_session):  # type: ignore[no-untyped-def]
    ticket = factories.ticket(db_session, world.a)
    row = factories.voicemail(
        db_session, ticket, state=VoicemailState.TRANSCRIBED, storage_path="haizhu-nanzhou/1.wav"
    )
    db_session.commit()
    storage(app).write(row.storage_path, AUDIO)
    return row


def test_a_range_is_served_from_the_database(api, voicemail, db_session):
    worker = api("worker-a")
    url = f"/voicemails/{voicemail.id}/audio"
    start, end = CHUNK_SIZE - 50, CHUNK_SIZE + 49  # across a chunk boundary
    part = worker.get(url, headers={"Range": f"bytes={start}-{end}"})
    assert part.status_code == 206 and part.data == AUDIO[start : end + 1]
    assert part.headers["Content-Range"] == f"bytes {start}-{end}/{len(AUDIO)}"
    whole = worker.get(url)
    assert whole.status_code == 200 and whole.data == AUDIO
    plays = fresh(db_session).scalars(select(AuditLog).where(AuditLog.action == "voicemail.play"))
    assert [p.detail["via"] for p in plays] == ["api", "api"]


def test_no_recording_in_the_database_is_the_apis_404(app, api, voicemail):
    storage(app).remove(voicemail.storage_path)
    response = api("worker-a").get(f"/voicemails/{voicemail.id}/audio")
    assert response.status_code == 404 and error_code(response) == "no_audio"
