"""A station that acknowledges voicemails by text, callers driven through the real
webhooks, Twilio's REST API faked on loopback, and the worker's jobs run in-process."""

from __future__ import annotations

import pytest

from ivr.menus.versions import save_version
from ivr.twilio_rest import RestHttpClient
from tests import factories
from tests.fakes.twilio_api import FakeTwilioApi
from tests.ivr.voice.helpers import Twiml

HOTLINE = "+862083000034"
MOBILE = "+8613912345678"
ACCOUNT = "AC" + "0" * 32
MENU = """
start: vm
languages: [{language}]
nodes:
  vm:
    kind: voicemail
    prompt: {{{language}: "..."}}
    thanks: {{{language}: "..."}}
"""


@pytest.fixture
def station(db_session):
    """南洲街: texts on, no quiet hours (a test that wants a night sets one)."""
    district = factories.district(db_session, code="haizhu", name_zh="海珠区")
    row = factories.station(
        db_session,
        district,
        code="haizhu-nanzhou",
        numbers=(HOTLINE,),
        name_zh="南洲街",
        name_en="Nanzhou",
        acknowledge_by_sms=True,
        quiet_hours_start="00:00",
        quiet_hours_end="00:00",
    )
    save_version(db_session, row, MENU.format(language="zh"), publish=True)
    db_session.commit()
    return row


@pytest.fixture
def fake_api(app):
    """Twilio's REST API on loopback; the app's REST client points at it (1 s timeout)."""
    fake = FakeTwilioApi()
    app.extensions["ivr.twilio_http_client"] = RestHttpClient(fake.base_url, timeout=1)
    yield fake
    fake.close()


class Caller:
    """Leaves voicemails through the webhooks, as Twilio drives them."""

    def __init__(self, twilio) -> None:  # type: ignore[no-untyped-def]
        self.twilio = twilio
        self.calls = 0

    def voicemail(self, number: str = MOBILE, to: str = HOTLINE) -> None:
        self.calls += 1
        sid = f"CA{self.calls:032d}"
        base = {"CallSid": sid, "From": number, "To": to, "AccountSid": ACCOUNT}
        record = Twiml.of(self.twilio.post("/twilio/voice", **base))
        recording = f"RE{self.calls:032d}"
        answer = self.twilio.post(
            record.action("Record"),
            **base,
            RecordingSid=recording,
            RecordingDuration="4",
            RecordingUrl=f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording}",
        )
        assert answer.status_code == 200

    def texts(self, body: str, number: str = MOBILE):  # type: ignore[no-untyped-def]
        return self.twilio.post(
            "/twilio/sms",
            MessageSid=f"SM{self.calls:032d}",
            From=number,
            To=HOTLINE,
            Body=body,
            AccountSid=ACCOUNT,
        )


@pytest.fixture
def resident(twilio) -> Caller:
    return Caller(twilio)


def run_message_jobs(app) -> list:  # type: ignore[no-untyped-def]
    """Run the queued text jobs as a consumer would (voicemail jobs are dropped: their
    recordings are not served here)."""
    huey = app.extensions["ivr.huey"]
    results = []
    while (task := huey.dequeue()) is not None:
        if task.name == "ivr.send_message":
            results.append(huey.execute(task))
    return results
