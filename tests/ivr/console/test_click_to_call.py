"""Click-to-call, with Twilio's REST API faked at its HTTP boundary."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import pytest

from models import Call, CallDirection, HotlineNumber, Ticket, TicketEventKind
from tests.conftest import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, Twilio, fresh
from tests.ivr.voice.helpers import Twiml

WORKER_PHONE = "+8613711112222"


@pytest.fixture
def ready(world, db_session):
    worker = world["users"]["worker-a"]
    worker.phone = WORKER_PHONE
    db_session.add(worker)
    db_session.commit()
    return world


def test_call_back_rings_the_worker_first_from_the_hotline(ready, fake_api, login, db_session):
    ticket = ready["tickets"]["a"]
    hotline = ready["stations"]["a"].hotline_numbers[0].number
    page = login("worker-a").post(f"/console/tickets/{ticket.id}/call", version="1")
    assert "正在拨打您的电话" in page.get_data(as_text=True)
    [sent] = fake_api.requests
    assert sent.method == "POST"
    assert sent.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Calls.json"
    assert sent.form["To"] == WORKER_PHONE and sent.form["From"] == hotline
    assert sent.form["Url"].startswith("https://hotline.example.org/twilio/bridge?t=")
    basic = base64.b64encode(f"{TWILIO_ACCOUNT_SID}:{TWILIO_AUTH_TOKEN}".encode()).decode()
    assert sent.headers["Authorization"] == f"Basic {basic}"
    row = fresh(db_session).get(Ticket, ticket.id)
    assert row.events[-1].data["outcome"] == "ringing_worker"
    leg = db_session.query(Call).filter_by(call_sid=sent.sid).one()
    assert leg.direction is CallDirection.CALLBACK and leg.to_number == WORKER_PHONE


def test_when_the_worker_answers_the_resident_is_dialled_and_the_outcome_logged(
    ready, fake_api, login, client, db_session
):
    ticket = ready["tickets"]["a"]
    login("worker-a").post(f"/console/tickets/{ticket.id}/call", version="1")
    [sent] = fake_api.requests
    twilio = Twilio(client)
    form = {"CallSid": sent.sid, "From": "+862000000000", "To": WORKER_PHONE}
    url = sent.form["Url"]
    bridge = Twiml.of(twilio.post(url, **form))
    dial = bridge.verb("Dial")
    assert [n.text for n in dial.iter("Number")] == [ticket.caller_number]
    assert dial.get("callerId") == ready["stations"]["a"].hotline_numbers[0].number
    done_url = dial.get("action")
    assert parse_qs(urlsplit(done_url).query)["t"] == [str(ticket.id)]
    twilio.post(done_url, **form, DialCallStatus="completed")
    twilio.post(done_url, **form, DialCallStatus="completed")  # Twilio retried
    row = fresh(db_session).get(Ticket, ticket.id)
    outcomes = [
        e.data.get("outcome") for e in row.events if e.kind is TicketEventKind.CALLBACK_ATTEMPT
    ]
    assert outcomes == ["ringing_worker", "reached"]
    assert row.first_callback_at is not None


def test_a_worker_without_a_phone_is_told_what_to_do(world, fake_api, login):
    page = login("worker-a").post(f"/console/tickets/{world['tickets']['a'].id}/call", version="1")
    html = page.get_data(as_text=True)
    assert "填写你自己的电话号码" in html
    assert '<a href="/console/account#phone">我的账户</a>' in html  # where to do it
    assert fake_api.requests == []


def test_twilio_refusing_the_call_is_a_message(ready, fake_api, login, db_session):
    fake_api.fail("Calls", 400, 21211, "Invalid 'To' Phone Number")
    page = login("worker-a").post(f"/console/tickets/{ready['tickets']['a'].id}/call", version="1")
    assert "Twilio 拒绝了回电请求" in page.get_data(as_text=True)
    assert "Invalid &#39;To&#39; Phone Number" in page.get_data(as_text=True)
    assert fresh(db_session).get(Ticket, ready["tickets"]["a"].id).events == []


def test_the_bridge_is_a_twilio_webhook_and_checks_signatures(ready, client):
    response = client.post("/twilio/bridge?t=1&w=1", data={"CallSid": "CA1"})
    assert response.status_code == 403


def test_a_station_without_a_number_cannot_call_back(ready, fake_api, login, db_session):
    for number in db_session.query(HotlineNumber).all():
        db_session.delete(number)
    db_session.commit()
    page = login("worker-a").post(f"/console/tickets/{ready['tickets']['a'].id}/call", version="1")
    assert "没有热线号码" in page.get_data(as_text=True)
