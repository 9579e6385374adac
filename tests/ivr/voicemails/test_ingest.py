"""Twilio's two recording callbacks, in any order and repeated: one voicemail, one ticket."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from models import Ticket, TicketEvent, TicketSource, Voicemail, VoicemailState
from tests.conftest import fresh
from tests.ivr.voice.helpers import Twiml
from tests.ivr.voicemails.conftest import voicemail_jobs_queued


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    return fresh(session).scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("order", ["action-first", "status-first"])
def test_each_recording_is_one_voicemail_whatever_the_order(app, line, db_session, media, order):
    call = line()
    sid = "RE" + "1" * 32
    posts = [lambda: call.recorded(sid), lambda: call.status(sid)]
    if order == "status-first":
        posts.reverse()
    for post in posts + posts:  # each callback arrives twice
        assert post().status_code == 200
    assert _count(db_session, Voicemail) == 1
    assert _count(db_session, Ticket) == 1
    assert voicemail_jobs_queued(app) == 1
    assert media.requests == []  # the webhook never downloads

    voicemail = db_session.scalars(select(Voicemail)).one()
    assert voicemail.state is VoicemailState.RECEIVED and voicemail.language == "ko"
    assert voicemail.menu_tags == ["food"] and voicemail.menu_priority == "normal"
    assert voicemail.recording_url == call.recording_url(sid)
    ticket = db_session.get(Ticket, voicemail.ticket_id)
    assert ticket.source is TicketSource.VOICEMAIL and ticket.station_id == voicemail.station_id
    assert {t.code for t in ticket.tags} == {"food", "lone_elderly"}


def test_the_caller_hears_thanks_after_the_beep(line):
    call = line()
    thanks = Twiml.of(call.recorded("RE" + "2" * 32))
    assert thanks.says() == ["감사합니다."] and thanks.verbs[-1] == "Hangup"


def test_a_second_voicemail_joins_the_callers_open_ticket(line, db_session):
    first, second = line(), line()
    first.recorded("RE" + "3" * 32)
    second.recorded("RE" + "4" * 32)
    assert _count(db_session, Voicemail) == 2
    ticket = db_session.scalars(select(Ticket)).one()
    kinds = [e.kind.value for e in db_session.scalars(select(TicketEvent).order_by(TicketEvent.id))]
    assert kinds == ["opened", "voicemail_added"]
    assert sorted(v.ticket_id for v in db_session.scalars(select(Voicemail))) == [ticket.id] * 2


def test_a_recording_twilio_reports_absent_still_opens_a_ticket(app, line, db_session):
    call = line()
    sid = "RE" + "5" * 32
    call.status(sid, status="absent", url="")
    call.recorded(sid, url="")
    voicemail = fresh(db_session).scalars(select(Voicemail)).one()
    assert voicemail.state is VoicemailState.NO_AUDIO
    assert "absent" in voicemail.last_error
    assert _count(db_session, Ticket) == 1
    assert voicemail_jobs_queued(app) == 0


def test_a_callback_without_a_recording_sid_records_nothing(line, db_session):
    call = line()
    response = call.twilio.post(call.record_action, **call.base)
    assert Twiml.of(response).verbs[-1] == "Hangup"
    assert _count(db_session, Voicemail) == 0


@pytest.mark.parametrize("which", ["status_callback", "record_action"])
def test_a_recording_whose_menu_is_gone_is_still_kept(line, db_session, which):
    call = line()
    bad = getattr(call, which).replace("m=v", "m=v9")  # a menu version that does not exist
    response = call.twilio.post(
        bad,
        **call.base,
        RecordingSid="RE" + "6" * 32,
        RecordingUrl=call.recording_url("RE" + "6" * 32),
    )
    assert response.status_code == 200
    if which == "record_action":
        assert Twiml.of(response).verbs[-1] == "Hangup"
    voicemail = fresh(db_session).scalars(select(Voicemail)).one()
    assert voicemail.state is VoicemailState.RECEIVED and voicemail.ticket_id is not None
