"""A recording that is really a list of other files is refused, and still opens a ticket."""

from __future__ import annotations

from sqlalchemy import select

from models import Ticket, TicketEventKind, Voicemail, VoicemailState
from tests.conftest import fresh
from tests.fakes.media_server import Answer
from tests.ivr.voicemails.conftest import run_jobs


def test_a_concat_list_naming_another_recording_is_not_followed(
    app, line, db_session, speech, tmp_path, monkeypatch
):
    # Another resident's recording sits where the worker runs; the "recording" names it.
    (tmp_path / "other-resident.wav").write_bytes(speech)
    monkeypatch.chdir(tmp_path)
    call = line()
    sid = "RE" + "7" * 32
    body = b"ffconcat version 1.0\nfile other-resident.wav\n"
    call.recorded(sid, url=call.serve(sid, Answer(200, body)))
    run_jobs(app)
    voicemail = fresh(db_session).scalars(select(Voicemail)).one()
    assert voicemail.state is VoicemailState.FAILED
    assert voicemail.transcript is None
    assert "not usable audio" in voicemail.last_error
    assert "whitelist" in voicemail.last_error  # ffmpeg refused the concat demuxer
    assert voicemail.storage_path  # what arrived is kept for a person to look at
    ticket = db_session.get(Ticket, voicemail.ticket_id)
    assert ticket is not None and ticket.status.value == "open"
    assert ticket.events[-1].kind is TicketEventKind.TRANSCRIPTION_FAILED
    assert "not usable audio" in ticket.events[-1].note
