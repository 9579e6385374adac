import pytest

from ivr.voicemails.recordings import (
    RecordingNotReady,
    RecordingRefused,
    RecordingUnavailable,
    check_url,
    fetch_recording,
    media_url,
)
from tests.fakes.media_server import Answer, MediaServer

ALLOWED = ("api.twilio.com", "127.0.0.1:8099")


@pytest.mark.parametrize(
    "url",
    [
        "https://api.twilio.com/2010-04-01/Accounts/AC/Recordings/RE.wav",
        "https://api.twilio.com:443/x.wav",
        "http://127.0.0.1:8099/x.wav",
    ],
)
def test_allowed_urls(url):
    check_url(url, ALLOWED)


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://api.twilio.com.attacker.net/x", "not in IVR_RECORDING_HOSTS"),
        ("https://169.254.169.254/latest/meta-data", "not in IVR_RECORDING_HOSTS"),
        ("http://api.twilio.com/x", "http scheme"),
        ("http://127.0.0.1:8100/x", "http scheme"),
        ("http://127.0.0.1/x", "http scheme"),
        ("https://u:p@api.twilio.com/x", "credentials"),
        ("ftp://api.twilio.com/x", "ftp scheme"),
        ("https://api.twilio.com:99999/x", "bad port"),
        ("//api.twilio.com/x", "no scheme"),
    ],
)
def test_refused_urls(url, why):
    with pytest.raises(RecordingRefused, match=why):
        check_url(url, ALLOWED)


def test_the_media_url_asks_for_wav_once():
    assert media_url("https://api.twilio.com/R/RE1") == "https://api.twilio.com/R/RE1.wav"
    assert media_url("https://api.twilio.com/R/RE1.mp3") == "https://api.twilio.com/R/RE1.mp3"


@pytest.fixture
def media():
    server = MediaServer()
    yield server
    server.close()


def test_retries_back_off_exponentially(media):
    url = media.script("/r.wav", Answer(404), Answer(500), Answer(200, b"RIFF"))
    waits = []
    fetched = fetch_recording(
        url[:-4], ("AC1", "tok"), (media.host,), backoff=0.5, sleep=waits.append
    )
    assert fetched.data == b"RIFF" and waits == [0.5, 1.0]
    assert media.requests[0].authorization == ("AC1", "tok")


def test_not_ready_after_every_try(media):
    url = media.script("/r.wav", Answer(404))
    with pytest.raises(RecordingNotReady, match="HTTP 404 after 3 tries"):
        fetch_recording(url, ("a", "b"), (media.host,), attempts=3, sleep=lambda _s: None)


def test_a_timeout_is_retried(media):
    url = media.script("/slow.wav", Answer(200, b"late", delay=1.0), Answer(200, b"ok"))
    fetched = fetch_recording(url, ("a", "b"), (media.host,), timeout=0.3, sleep=lambda _s: None)
    assert fetched.data == b"ok"


def test_a_redirect_off_the_allow_list_is_refused(media):
    url = media.script("/r.wav", Answer(302, headers={"Location": "https://evil.example/x"}))
    with pytest.raises(RecordingRefused):
        fetch_recording(url, ("a", "b"), (media.host,), sleep=lambda _s: None)


def test_forbidden_is_final(media):
    url = media.script("/r.wav", Answer(403))
    with pytest.raises(RecordingUnavailable, match="HTTP 403"):
        fetch_recording(url, ("a", "b"), (media.host,), sleep=lambda _s: None)
    assert len(media.requests) == 1
