"""Recordings encrypted at rest: unreadable on disk, played back identically (ranges too),
plain files still served, keys rotated in place."""

from __future__ import annotations

import hashlib
import io
import os
import zipfile
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from ivr.config import Config, ConfigError
from ivr.db import database
from ivr.privacy.keys import KeyMissing, new_key
from ivr.privacy.requests import export_number
from ivr.privacy.rotation import rotate_recordings
from ivr.privacy.sealed import CHUNK, is_sealed
from ivr.storage import FileStorage, storage
from ivr.voicemails.recordings import store_recording
from models import TicketStatus, Voicemail
from tests.ivr.console.conftest import RESIDENT_A, WAV
from tests.ivr.privacy.conftest import FakeTwilioRest

OLD, NEW = new_key(), new_key()
# Audio that is not all zeros, over three chunks, so a window of it is recognisable.
AUDIO = b"RIFF" + os.urandom(CHUNK * 2 + 12345)


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    built = make_app(IVR_STORAGE_KEYS=f"{NEW},{OLD}")
    built.extensions["ivr.twilio_http_client"] = FakeTwilioRest()
    return built


def _seal_voicemail(app, db_session, world, key: str = NEW) -> Voicemail:  # type: ignore[no-untyped-def]
    """The world's voicemail at A, its file replaced by AUDIO sealed with ``key``."""
    voicemail = db_session.scalars(
        select(Voicemail).where(Voicemail.ticket_id == world["tickets"]["a"].id)
    ).one()
    FileStorage(app.config["IVR"].storage_dir, (key,)).write(voicemail.storage_path, AUDIO)
    return voicemail


def test_on_disk_the_audio_is_not_there(app, tmp_path):
    storage = FileStorage(tmp_path, (NEW,))
    stored = store_recording(storage, "haizhu-nanzhou", 7, AUDIO, datetime.now(UTC))
    raw = (tmp_path / stored.path).read_bytes()
    assert is_sealed(raw) and AUDIO[1000:1064] not in raw and b"RIFF" not in raw
    assert stored.sha256 == hashlib.sha256(AUDIO).hexdigest() and stored.size == len(AUDIO)
    assert storage.read(stored.path) == AUDIO
    with pytest.raises(KeyMissing):
        FileStorage(tmp_path).read(stored.path)
    with pytest.raises(KeyMissing):
        FileStorage(tmp_path, (new_key(),)).read(stored.path)


def test_played_back_identically_with_ranges(app, world, login, db_session):
    voicemail = _seal_voicemail(app, db_session, world)
    browser = login("worker-a")
    url = f"/console/voicemails/{voicemail.id}/audio"

    whole = browser.get(url)
    assert whole.status_code == 200 and whole.data == AUDIO
    assert whole.headers["Accept-Ranges"] == "bytes" and whole.mimetype == "audio/wav"
    assert whole.headers["Cache-Control"] == "private, no-store"
    start, end = CHUNK - 100, 2 * CHUNK + 50  # across two chunk boundaries
    part = browser.get(url, headers={"Range": f"bytes={start}-{end}"})
    assert part.status_code == 206 and part.data == AUDIO[start : end + 1]
    assert part.headers["Content-Range"] == f"bytes {start}-{end}/{len(AUDIO)}"
    tail = browser.get(url, headers={"Range": "bytes=-10"})
    assert tail.status_code == 206 and tail.data == AUDIO[-10:]
    again = browser.get(url, headers={"If-None-Match": whole.headers["ETag"]})
    assert again.status_code == 304


def test_plain_files_written_before_keys_still_play(app, world, login):
    voicemail_id = world["tickets"]["b"].voicemails[0].id
    played = login("worker-b").get(f"/console/voicemails/{voicemail_id}/audio")
    assert played.status_code == 200 and played.data == WAV


def test_rotation_reseals_everything_once_and_can_run_again(app, world, db_session, runner):
    config = app.config["IVR"]
    old = _seal_voicemail(app, db_session, world, key=OLD)
    plain = world["tickets"]["b"].voicemails[0]
    # A run stopped midway leaves at most a temporary file beside the old one.
    (config.storage_dir / (old.storage_path + ".sealing")).write_bytes(b"half")

    done = runner.invoke("privacy", "rotate-key")
    assert done.exit_code == 0, done.output
    assert "2 re-encrypted, 0 already" in done.output
    for voicemail, content in ((old, AUDIO), (plain, WAV)):
        path = config.storage_dir / voicemail.storage_path
        assert is_sealed(path.read_bytes())
        # The old key is no longer needed.
        assert FileStorage(config.storage_dir, (NEW,)).read(voicemail.storage_path) == content
    again = rotate_recordings(database(app).sessions, storage(app))
    assert again == {"current": 2}


def test_rotation_needs_a_key(make_app, world, runner):  # type: ignore[no-untyped-def]
    from tests.conftest import CliRunner

    plain_app = make_app()
    refused = CliRunner(plain_app).invoke("privacy", "rotate-key")
    assert refused.exit_code == 1 and "IVR_STORAGE_KEYS is not set" in refused.output


def test_the_export_holds_the_plain_audio(app, world, db_session):
    voicemail = _seal_voicemail(app, db_session, world)
    out = io.BytesIO()
    export_number(db_session, app.config["IVR"], RESIDENT_A, out)
    archive = zipfile.ZipFile(io.BytesIO(out.getvalue()))
    assert archive.read(f"audio/voicemail-{voicemail.id}.wav") == AUDIO


def test_a_malformed_key_stops_the_start(tmp_path):
    with pytest.raises(ConfigError, match="key 2 is 5 bytes"):
        Config.from_env({"IVR_SECRET_KEY": "k", "IVR_STORAGE_KEYS": f"{NEW},aGVsbG8="}, tmp_path)
    with pytest.raises(ConfigError, match="not base64"):
        Config.from_env({"IVR_SECRET_KEY": "k", "IVR_STORAGE_KEYS": "not base64!"}, tmp_path)


def test_erasure_and_retention_remove_sealed_files(app, world, db_session):
    from ivr.privacy.requests import erase_number

    voicemail = _seal_voicemail(app, db_session, world)
    path = app.config["IVR"].storage_dir / voicemail.storage_path
    world["tickets"]["a"].status = TicketStatus.RESOLVED
    db_session.commit()
    erase_number(db_session, database(app).sessions, app.config["IVR"], RESIDENT_A)
    assert not path.exists()
