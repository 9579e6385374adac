from __future__ import annotations

import pytest

from ivr.menus.versions import save_version
from ivr.stations.users import create_user
from models import OnDutyPhone, Role
from tests import factories
from tests.ivr.console.conftest import Browser
from tests.ivr.voice.helpers import Twiml

HOTLINE = "+862083000034"
RESIDENT = "+8613912345678"
ON_DUTY = "+8613800000001"
NEXT_ON_ROSTER = "+8613800000002"
DISTRICT_PHONE = "+8613900000009"
PASSWORD = "correct horse battery"
MENU = """
start: main
languages: [zh]
nodes:
  main:
    kind: menu
    prompt: {zh: 紧急情况请按1，找值班社工请按0。}
    options:
      1: {next: vm_urgent, need: medical}
      0: {next: forward_worker, need: food}
      2: {next: vm_general, need: policy}
    fallback: vm_general
  vm_urgent:
    kind: voicemail
    prompt: {zh: 请在提示音后说出您的地址和情况。}
    tags: [medical]
    priority: urgent
    thanks: {zh: 谢谢。}
  forward_worker:
    kind: forward
    prompt: {zh: 正在为您转接。}
    strategy: sequential
    timeout: 20
    no_answer: vm_general
  vm_general:
    kind: voicemail
    prompt: {zh: 请留言。}
    tags: []
    priority: normal
    thanks: {zh: 谢谢。}
"""


@pytest.fixture
def station(db_session):
    """南洲街: the urgent menu, two phones on its roster, a district admin with a phone."""
    district = factories.district(db_session, code="haizhu", name_zh="海珠区")
    row = factories.station(
        db_session, district, code="haizhu-nanzhou", numbers=(HOTLINE,), name_zh="南洲街"
    )
    row.on_duty_phones = [
        OnDutyPhone(number=ON_DUTY, name="值班甲", position=0),
        OnDutyPhone(number=NEXT_ON_ROSTER, name="值班乙", position=1),
    ]
    save_version(db_session, row, MENU, publish=True)
    create_user(db_session, "nanzhou-worker", PASSWORD, Role.WORKER, "haizhu-nanzhou", None)
    admin = create_user(db_session, "haizhu-admin", PASSWORD, Role.DISTRICT_ADMIN, None, "haizhu")
    admin.phone = DISTRICT_PHONE
    db_session.commit()
    return row


class Resident:
    """One call through the real webhooks, signed like Twilio."""

    def __init__(self, twilio, sid: str) -> None:
        self.twilio = twilio
        self.base = {"CallSid": sid, "From": RESIDENT, "To": HOTLINE, "AccountSid": "AC" + "0" * 32}

    def post(self, path: str, **params: str):  # type: ignore[no-untyped-def]
        return self.twilio.post(path, **{**self.base, **params})

    def leaves_urgent_voicemail(self, recording_sid: str = "RE" + "1" * 32) -> None:
        menu = Twiml.of(self.post("/twilio/voice"))
        record = Twiml.of(self.post(menu.action("Gather"), Digits="1"))
        self.post(
            record.action("Record"),
            RecordingSid=recording_sid,
            RecordingDuration="9",
            RecordingUrl=f"https://api.twilio.com/2010-04-01/Recordings/{recording_sid}",
        )

    def misses_the_forward(self) -> None:
        menu = Twiml.of(self.post("/twilio/voice"))
        ringing = Twiml.of(self.post(menu.action("Gather"), Digits="0"))
        second = Twiml.of(self.post(ringing.action("Dial"), DialCallStatus="no-answer"))
        voicemail = Twiml.of(self.post(second.action("Dial"), DialCallStatus="no-answer"))
        self.post(
            voicemail.action("Record"),
            RecordingSid="RE" + "3" * 32,
            RecordingDuration="5",
            RecordingUrl="https://api.twilio.com/2010-04-01/Recordings/RE" + "3" * 32,
        )


@pytest.fixture
def resident(twilio, station):
    return Resident(twilio, "CA" + "1" * 32)


@pytest.fixture
def worker(client):
    browser = Browser(client)
    assert browser.login("nanzhou-worker").status_code == 302
    return browser


def run_jobs(app, only: str = "") -> list:  # type: ignore[no-untyped-def]
    """Run the queued jobs (or those named ``only``) in this process, as a consumer would."""
    huey = app.extensions["ivr.huey"]
    results = []
    skipped = []
    while (task := huey.dequeue()) is not None:
        if only and task.name != only:
            skipped.append(task)
            continue
        results.append(huey.execute(task))
    for task in skipped:
        huey.enqueue(task)
    return results
