"""What Twilio's REST API refuses is recorded on the row, then retried or given up."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from ivr.db import database
from ivr.outreach.messages import MAX_ATTEMPTS
from ivr.outreach.sending import send_due
from models import OutboundMessage, OutboundState, SmsOptOut, Ticket, TicketEventKind
from tests.conftest import fresh
from tests.ivr.outreach.conftest import MOBILE, run_message_jobs


def _message(db_session) -> OutboundMessage:
    return fresh(db_session).scalars(select(OutboundMessage)).one()


def _pass(app, when):  # type: ignore[no-untyped-def]
    client = app.extensions["ivr.twilio_http_client"]
    return send_due(database(app).sessions, app.config["IVR"], client, when)


def test_unsubscribed_21610_marks_the_number_opted_out(
    app, station, resident, fake_api, db_session
):
    fake_api.fail("Messages", 400, 21610, "Attempt to send to unsubscribed recipient")
    resident.voicemail()
    assert run_message_jobs(app) == ["opted_out"]
    message = _message(db_session)
    assert message.error_code == 21610 and "unsubscribed" in message.last_error
    assert db_session.get(SmsOptOut, MOBILE).opted_out
    assert _pass(app, message.created_at + timedelta(days=1)) == 0
    assert len(fake_api.seen("Messages")) == 1
    ticket = db_session.get(Ticket, message.ticket_id)
    [event] = [e for e in ticket.events if e.kind is TicketEventKind.MESSAGE]
    assert event.data["outcome"] == "sms_opted_out" and event.data["error_code"] == 21610


def test_not_a_mobile_21614_is_given_up_at_once(app, station, resident, fake_api, db_session):
    fake_api.fail("Messages", 400, 21614, "'To' number is not a valid mobile number")
    resident.voicemail()
    assert run_message_jobs(app) == ["failed"]
    message = _message(db_session)
    assert message.error_code == 21614 and message.attempts == 1
    assert _pass(app, message.created_at + timedelta(days=1)) == 0
    assert len(fake_api.seen("Messages")) == 1


def test_a_rate_limit_is_retried_later(app, station, resident, fake_api, db_session):
    fake_api.fail("Messages", 429, 20429, "Too Many Requests")
    resident.voicemail()
    assert run_message_jobs(app) == ["queued"]
    message = _message(db_session)
    assert message.error_code == 20429 and message.attempts == 1
    assert message.send_after > message.claimed_at
    assert _pass(app, message.send_after - timedelta(seconds=1)) == 0
    assert _pass(app, message.send_after) == 1
    message = _message(db_session)
    assert message.state is OutboundState.SENT and message.attempts == 2
    assert len(fake_api.sent("Messages")) == 1 and len(fake_api.seen("Messages")) == 2


def test_a_timeout_is_recorded_and_retried(app, station, resident, fake_api, db_session):
    fake_api.stall("Messages", seconds=3)  # the client gives up after 1 s
    resident.voicemail()
    assert run_message_jobs(app) == ["queued"]
    message = _message(db_session)
    assert "Timeout" in message.last_error and message.error_code is None
    assert _pass(app, message.send_after) == 1
    assert _message(db_session).state is OutboundState.SENT


def test_twilio_down_every_time_is_given_up_after_the_last_attempt(
    app, station, resident, fake_api, db_session
):
    for _ in range(MAX_ATTEMPTS):
        fake_api.fail("Messages", 503, 20500, "Service Unavailable")
    resident.voicemail()
    run_message_jobs(app)
    for _ in range(MAX_ATTEMPTS):
        _pass(app, _message(db_session).send_after)
    message = _message(db_session)
    assert message.state is OutboundState.FAILED and message.attempts == MAX_ATTEMPTS
    assert message.error_code == 20500
    assert len(fake_api.seen("Messages")) == MAX_ATTEMPTS
    assert fake_api.sent("Messages") == []


def test_a_send_that_died_mid_request_is_not_sent_again(
    app, station, resident, fake_api, db_session
):
    resident.voicemail()
    message = _message(db_session)
    message.state = OutboundState.SENDING  # a job claimed it, then its process died
    message.claimed_at = message.created_at
    db_session.commit()
    assert _pass(app, message.created_at + timedelta(minutes=11)) == 0
    message = _message(db_session)
    assert message.state is OutboundState.FAILED and "outcome unknown" in message.last_error
    assert fake_api.seen("Messages") == []
