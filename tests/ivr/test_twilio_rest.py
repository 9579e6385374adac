"""The REST seam: twilio's own client, sent to a stand-in for Twilio on loopback."""

from __future__ import annotations

import pytest
from requests.exceptions import Timeout
from twilio.base.exceptions import TwilioRestException
from twilio.rest import Client

from ivr.twilio_rest import RestHttpClient
from tests.conftest import TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN
from tests.fakes.twilio_api import FakeTwilioApi


@pytest.fixture
def fake():
    server = FakeTwilioApi()
    yield server
    server.close()


def client(fake: FakeTwilioApi, timeout: float = 5) -> Client:
    http = RestHttpClient(fake.base_url, timeout=timeout)
    return Client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, http_client=http)


def test_a_message_goes_to_the_configured_base_url_with_path_and_form(fake):
    message = client(fake).messages.create(to="+8613800000001", from_="+862000000001", body="你好")
    [seen] = fake.seen("Messages")
    assert seen.path == f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Messages.json"
    assert seen.form == {"To": "+8613800000001", "From": "+862000000001", "Body": "你好"}
    assert message.sid == seen.sid and message.sid.startswith("SM")
    assert fake.sent("Messages") == [seen.form]


def test_twilios_error_codes_reach_the_caller(fake):
    fake.fail("Messages", 400, 21610, "Attempt to send to unsubscribed recipient")
    with pytest.raises(TwilioRestException) as raised:
        client(fake).messages.create(to="+8613800000001", from_="+862000000001", body="x")
    assert (raised.value.status, raised.value.code) == (400, 21610)
    assert fake.sent("Messages") == []  # refused: not sent
    client(fake).messages.create(to="+8613800000001", from_="+862000000001", body="x")
    assert len(fake.sent("Messages")) == 1  # a scripted answer is used once


def test_a_stalled_api_is_given_up_after_the_timeout(fake):
    fake.stall("Calls", seconds=2)
    with pytest.raises(Timeout):
        client(fake, timeout=0.5).calls.create(
            to="+8613800000001", from_="+862000000001", url="https://hotline.example.org/x"
        )


def test_a_recording_delete_answers_204(fake):
    assert client(fake).recordings("RE" + "1" * 32).delete() is True
    [seen] = fake.seen("Recordings")
    assert seen.method == "DELETE" and seen.status == 204


def test_without_a_base_url_requests_go_to_twilio_unchanged():
    http = RestHttpClient()
    assert http.base_url == "" and http.timeout == 15.0


def test_the_app_uses_the_configured_url(make_app, fake):
    app = make_app(IVR_TWILIO_API_URL=fake.base_url)
    http = app.extensions["ivr.twilio_http_client"]
    Client(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, http_client=http).messages.create(
        to="+8613800000001", from_="+862000000001", body="x"
    )
    assert len(fake.sent("Messages")) == 1
