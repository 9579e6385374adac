"""The call-back node ("press 1 and hang up; we will call you back"), through the real
webhooks signed like Twilio, its ring-back job against the fake REST API, and the
outbound leg re-entering the menu at the node it names."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select, update

from ivr.jobs import ring_back_lost
from ivr.menus.validate import MenuInvalid, parse_menu
from ivr.menus.versions import save_version
from ivr.twilio_rest import RestHttpClient
from models import (
    Call,
    CallbackRequest,
    CallbackState,
    CallDirection,
    CallOutcome,
    Station,
    Ticket,
    TicketSource,
    utcnow,
)
from tests.conftest import PUBLIC_URL, fresh
from tests.ivr.alerts.conftest import run_jobs
from tests.ivr.voice.conftest import HOTLINE, RESIDENT
from tests.ivr.voice.helpers import Twiml

SID = "CA" + "c" * 32
MENU = """
start: main
languages: [zh, en]
nodes:
  main:
    kind: menu
    prompt: {zh: 需要回电请按1后挂机；留言请按2。, en: Press 1 and hang up for a call back.}
    options:
      1: {next: ring_me, need: food}
      2: vm
    fallback: vm
  ring_me:
    kind: callback
    prompt: {zh: 好的，请挂机，我们马上给您回电。, en: Please hang up; we will call you back.}
    next: welcome_back
    limit: 2
  welcome_back:
    kind: menu
    prompt: {zh: 这是社工站给您的回电。找社工请按1。, en: This is your call back. Press 1.}
    options: {1: vm}
    fallback: vm
  vm:
    kind: voicemail
    prompt: {zh: 请留言。, en: Please leave a message.}
    thanks: {zh: 谢谢。, en: Thank you.}
"""


@pytest.fixture
def menu(station, db_session):
    save_version(db_session, station, MENU, publish=True)
    db_session.commit()
    return station


def _press_one(call, sid: str = SID, **caller: str) -> Twiml:
    first = Twiml.of(call(sid=sid, **caller))
    return Twiml.of(call(first.action("Gather"), sid=sid, Digits="1", **caller))


def _requests(db_session) -> list[CallbackRequest]:
    fresh(db_session)
    return list(db_session.scalars(select(CallbackRequest).order_by(CallbackRequest.id)))


def test_press_one_hangs_up_at_once_and_the_job_rings_back_once(
    app, menu, call, fake_api, db_session
):
    heard = _press_one(call)
    assert heard.verbs == ["Say", "Hangup"] and "马上给您回电" in heard.text()
    assert fake_api.requests == []  # never from the webhook itself
    [request] = _requests(db_session)
    assert (request.state, request.caller_number, request.node) == (
        CallbackState.PENDING,
        RESIDENT,
        "welcome_back",
    )
    logged = db_session.scalars(select(Call).where(Call.call_sid == SID)).one()
    assert logged.outcome is CallOutcome.COMPLETED and logged.chosen_need == "food"
    assert ("callback", "ring_me") in [(e.kind, e.node) for e in logged.events]

    assert run_jobs(app, only="ivr.ring_back") == ["placed"]
    [placed] = fake_api.sent("Calls")
    assert (placed["To"], placed["From"]) == (RESIDENT, HOTLINE)
    assert placed["Url"] == f"{PUBLIC_URL}/twilio/ring-back?c={request.id}"
    [request] = _requests(db_session)
    assert request.state is CallbackState.PLACED and request.attempts == 1
    assert request.sid == fake_api.seen("Calls")[0].sid

    # The job runs again (a consumer re-ran it, or a retried webhook queued it twice).
    from ivr.jobs import ring_back

    assert ring_back(app, request.id) == "placed"
    first = Twiml.of(call(sid="CA" + "9" * 32))
    again = Twiml.of(call(first.action("Gather"), sid=SID, Digits="1"))
    assert again.verbs == ["Say", "Hangup"]  # Twilio retried the key press: no new request
    assert run_jobs(app, only="ivr.ring_back") == ["placed"]
    assert len(_requests(db_session)) == 1 and len(fake_api.seen("Calls")) == 1


def test_the_call_back_enters_the_menu_at_the_node_it_names(app, menu, call, fake_api, db_session):
    _press_one(call)
    run_jobs(app, only="ivr.ring_back")
    [placed] = fake_api.sent("Calls")
    out_sid = fake_api.seen("Calls")[0].sid
    # Twilio fetches the URL it was given, signed, with From/To as the outbound call has them.
    url = placed["Url"]
    assert urlsplit(url).path == "/twilio/ring-back" and parse_qs(urlsplit(url).query)["c"]
    heard = Twiml.of(call(url, sid=out_sid, From=HOTLINE, To=RESIDENT))
    assert "这是社工站给您的回电" in heard.text() and heard.verbs[-1] == "Gather"
    assert heard.query("Gather")["n"] == "welcome_back"
    fresh(db_session)
    leg = db_session.scalars(select(Call).where(Call.call_sid == out_sid)).one()
    assert leg.direction is CallDirection.CALLBACK
    assert (leg.from_number, leg.to_number, leg.station_id) == (RESIDENT, HOTLINE, menu.id)
    assert "ring_back" in [e.kind for e in leg.events]
    # Keys on the call back go on through the ordinary webhooks.
    record = Twiml.of(
        call(heard.action("Gather"), sid=out_sid, From=HOTLINE, To=RESIDENT, Digits="1")
    )
    assert record.verbs[-1] == "Record"


def test_a_refused_rest_call_is_recorded_and_a_ticket_opened(app, menu, call, fake_api, db_session):
    fake_api.fail("Calls", 400, 21614, "'To' number is not a valid mobile number")
    _press_one(call)
    assert run_jobs(app, only="ivr.ring_back") == ["failed"]
    [request] = _requests(db_session)
    assert request.state is CallbackState.FAILED and request.error_code == 21614
    assert "not a valid mobile number" in (request.last_error or "")
    ticket = db_session.get(Ticket, request.ticket_id)
    assert ticket is not None and ticket.source is TicketSource.CALLBACK
    assert ticket.caller_number == RESIDENT and ticket.station_id == menu.id
    assert fake_api.sent("Calls") == []


def test_a_timed_out_rest_call_is_recorded_too(app, menu, call, db_session):
    # Nothing listens on this port: the connection is refused.
    app.extensions["ivr.twilio_http_client"] = RestHttpClient("http://127.0.0.1:9", timeout=1)
    _press_one(call)
    assert run_jobs(app, only="ivr.ring_back") == ["failed"]
    [request] = _requests(db_session)
    assert request.state is CallbackState.FAILED and request.last_error
    assert request.ticket_id is not None


def test_more_than_the_limit_an_hour_is_refused_with_a_message_and_logged(
    app, menu, call, fake_api, db_session, caplog
):
    for n in range(2):
        assert _press_one(call, sid=f"CA{n}" + "d" * 31).verbs == ["Say", "Hangup"]
    caplog.set_level("INFO", logger="ivr.calls.callbacks")
    refused = _press_one(call, sid="CA" + "e" * 32)
    assert refused.verbs == ["Say", "Hangup"] and "次数太多" in refused.text()
    assert len(_requests(db_session)) == 2
    assert "call-back refused" in caplog.text and RESIDENT in caplog.text
    logged = db_session.scalars(select(Call).where(Call.call_sid == "CA" + "e" * 32)).one()
    [event] = [e for e in logged.events if e.kind == "callback"]
    assert event.detail["outcome"] == "over_limit"
    # An hour later the number may ask again; another number never was limited.
    db_session.execute(
        update(CallbackRequest).values(requested_at=utcnow() - timedelta(hours=1, minutes=1))
    )
    db_session.commit()
    assert "马上给您回电" in _press_one(call, sid="CA" + "f" * 32).text()
    assert run_jobs(app, only="ivr.ring_back") == ["placed", "placed", "placed"]


def test_a_closed_line_opens_a_call_back_ticket_instead_of_ringing(
    app, menu, call, fake_api, db_session
):
    db_session.execute(
        update(Station)
        .where(Station.id == menu.id)
        .values(twenty_four_hours=False, opening_hours={}, holidays=[])
    )
    db_session.commit()
    heard = _press_one(call)
    assert heard.verbs == ["Say", "Hangup"] and "下班时间" in heard.text()
    [request] = _requests(db_session)
    assert request.state is CallbackState.TICKETED
    ticket = db_session.get(Ticket, request.ticket_id)
    assert ticket.source is TicketSource.CALLBACK and ticket.caller_number == RESIDENT
    assert "callback" in [t.code for t in ticket.tags]
    assert run_jobs(app) == [] or fake_api.sent("Calls") == []
    assert fake_api.requests == []


def test_a_withheld_number_is_told_so_and_offered_a_voicemail(
    app, menu, call, fake_api, db_session
):
    withheld = {"From": "+266696687"}
    heard = _press_one(call, **withheld)
    assert "号码没有显示" in heard.text() and heard.verbs[-1] == "Record"
    assert _requests(db_session) == []
    thanks = Twiml.of(
        call(
            heard.action("Record"),
            sid=SID,
            RecordingSid="RE" + "4" * 32,
            RecordingDuration="7",
            RecordingUrl="https://api.twilio.com/2010-04-01/Recordings/RE" + "4" * 32,
            **withheld,
        )
    )
    assert thanks.verbs[-1] == "Hangup"
    fresh(db_session)
    [ticket] = db_session.scalars(select(Ticket)).all()
    assert ticket.station_id == menu.id and ticket.source is TicketSource.VOICEMAIL
    run_jobs(app, only="ivr.ring_back")
    assert fake_api.sent("Calls") == []


@pytest.mark.parametrize(
    ("fields", "message"),
    [("next: nowhere\n    limit: 2", "nowhere"), ("next: main\n    limit: 11", "limit")],
)
def test_validation_names_a_missing_next_and_a_limit_out_of_range(fields, message):
    text = f"""
start: main
languages: [zh]
nodes:
  main:
    kind: callback
    prompt: {{zh: 请挂机。}}
    {fields}
"""
    with pytest.raises(MenuInvalid) as raised:
        parse_menu(text)
    assert message in str(raised.value)
    assert parse_menu(text.replace("nowhere", "main").replace("11", "10")).menu


def test_an_unanswered_call_back_opens_a_ticket_once(app, menu, call, fake_api, db_session):
    _press_one(call)
    run_jobs(app, only="ivr.ring_back")
    [placed] = fake_api.sent("Calls")
    out_sid = fake_api.seen("Calls")[0].sid
    status_url = placed["StatusCallback"]
    assert status_url.startswith(f"{PUBLIC_URL}/twilio/ring-back-status?c=")
    for _ in range(2):  # Twilio retries a callback
        response = call(status_url, sid=out_sid, From=HOTLINE, To=RESIDENT, CallStatus="no-answer")
        assert response.status_code == 200
    [request] = _requests(db_session)
    [ticket] = db_session.scalars(select(Ticket)).all()
    assert request.ticket_id == ticket.id and request.last_error == "call back no-answer"
    assert ticket.source is TicketSource.CALLBACK


def test_an_answered_call_back_is_logged_with_its_duration(app, menu, call, fake_api, db_session):
    _press_one(call)
    run_jobs(app, only="ivr.ring_back")
    [placed] = fake_api.sent("Calls")
    out_sid = fake_api.seen("Calls")[0].sid
    outbound = {"sid": out_sid, "From": HOTLINE, "To": RESIDENT}
    Twiml.of(call(placed["Url"], **outbound))
    call(placed["StatusCallback"], CallStatus="completed", CallDuration="95", **outbound)
    fresh(db_session)
    leg = db_session.scalars(select(Call).where(Call.call_sid == out_sid)).one()
    assert leg.duration_seconds == 95 and leg.status == "completed"
    assert db_session.scalars(select(Ticket)).all() == []


def test_a_request_whose_job_was_lost_is_rung_by_the_pass_once(
    app, menu, call, fake_api, db_session
):
    _press_one(call)
    app.extensions["ivr.huey"].flush()  # the queue lost the job
    db_session.execute(update(CallbackRequest).values(created_at=utcnow() - timedelta(minutes=2)))
    db_session.commit()
    assert ring_back_lost(app) == 1
    assert ring_back_lost(app) == 0  # placed: nothing left for the next pass
    [sent] = fake_api.sent("Calls")
    assert sent["To"] == RESIDENT and sent["From"] == HOTLINE
    [request] = _requests(db_session)
    assert request.state is CallbackState.PLACED


def test_a_request_lost_for_over_an_hour_becomes_a_ticket_not_a_late_call(
    app, menu, call, fake_api, db_session
):
    _press_one(call)
    app.extensions["ivr.huey"].flush()
    db_session.execute(update(CallbackRequest).values(created_at=utcnow() - timedelta(hours=2)))
    db_session.commit()
    assert ring_back_lost(app) == 1
    assert fake_api.sent("Calls") == []
    [request] = _requests(db_session)
    assert request.state is CallbackState.FAILED
    ticket = db_session.get(Ticket, request.ticket_id)
    assert ticket is not None and ticket.source is TicketSource.CALLBACK
