"""Prompt files served for Twilio's <Play>: found by the call's menu reference and name."""

from __future__ import annotations

import subprocess
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from ivr.menus.prompts import convert_prompt, save_prompt
from ivr.menus.versions import save_version
from ivr.storage import storage
from ivr.voice.twiml import VoiceUrls
from models import MenuVersion
from tests.conftest import PUBLIC_URL
from tests.ivr.voice.helpers import Twiml


def tone(folder: Path, frequency: int, seconds: float = 1.0) -> bytes:
    target = folder / f"tone-{frequency}.wav"
    source = f"sine=frequency={frequency}:duration={seconds}:sample_rate=44100"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", source, "-ac", "2", str(target)],
        check=True,
    )
    return target.read_bytes()


def store(app, db_session, station, name: str, audio: bytes) -> bytes:  # type: ignore[no-untyped-def]
    """Put ``audio`` in the station's library as ``name``; the converted bytes served."""
    prompt = save_prompt(
        db_session, station, name, convert_prompt(audio), None, storage=storage(app)
    )
    db_session.commit()
    return storage(app).read(prompt.storage_path)


def publish(db_session, station, document: str) -> MenuVersion:  # type: ignore[no-untyped-def]
    version = save_version(db_session, station, document, publish=True)
    db_session.commit()
    return version


GREETING = """
start: hello
languages: [zh]
nodes:
  hello:
    kind: message
    prompt: {zh: {play: greeting.wav}}
    next: main
  main:
    kind: menu
    prompt: {zh: 请按1留言。}
    options: {1: vm}
    fallback: vm
  vm: {kind: voicemail, prompt: {zh: 请留言。}}
"""


def play_urls(heard: Twiml) -> list[str]:
    return [element.text or "" for element in heard.root.iter("Play")]


def fetch(client, url: str):  # type: ignore[no-untyped-def]
    assert url.startswith(PUBLIC_URL + "/"), url
    return client.get(urlsplit(url).path)


def test_a_published_menu_s_prompt_is_played_and_served(
    app, client, station, call, db_session, tmp_path
):
    served = store(app, db_session, station, "greeting.wav", tone(tmp_path, 440))
    version = publish(db_session, station, GREETING)
    heard = Twiml.of(call())
    [url] = play_urls(heard)
    assert url == f"{PUBLIC_URL}/prompts/v{version.id}/greeting.wav"
    response = fetch(client, url)
    assert response.status_code == 200
    assert response.mimetype == "audio/wav"
    assert response.data == served and response.data[:4] == b"RIFF"


def test_prompt_files_support_ranges_and_revalidation(app, client, station, db_session, tmp_path):
    served = store(app, db_session, station, "greeting.wav", tone(tmp_path, 440))
    path = f"/prompts/d{station.id}/greeting.wav"
    partial = client.get(path, headers={"Range": "bytes=0-99"})
    assert partial.status_code == 206 and partial.data == served[:100]
    full = client.get(path)
    assert "no-cache" in full.headers["Cache-Control"]
    again = client.get(path, headers={"If-None-Match": full.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    "path",
    [
        "/prompts/{ref}/missing.wav",
        "/prompts/u/greeting.wav",
        "/prompts/v999999/greeting.wav",
        "/prompts/d999999/greeting.wav",
        "/prompts/d99999999999999999999999/greeting.wav",
        "/prompts/x{station}/greeting.wav",
        "/prompts/{ref}/..%2F..%2Fsecret_key",
        "/prompts/{ref}/" + "g" * 300,
    ],
)
def test_unknown_prompts_and_references_are_404(app, client, station, db_session, tmp_path, path):
    store(app, db_session, station, "greeting.wav", tone(tmp_path, 440))
    version = publish(db_session, station, GREETING)
    url = path.format(ref=f"v{version.id}", station=station.id)
    assert client.get(url).status_code == 404


def test_a_station_s_reference_serves_only_its_own_library(
    app, client, station, other_station, db_session, tmp_path
):
    store(app, db_session, other_station, "only-tongde.wav", tone(tmp_path, 440))
    assert client.get(f"/prompts/d{other_station.id}/only-tongde.wav").status_code == 200
    assert client.get(f"/prompts/d{station.id}/only-tongde.wav").status_code == 404


def test_a_prompt_whose_file_is_gone_is_404_not_an_error(
    app, client, station, db_session, tmp_path
):
    store(app, db_session, station, "greeting.wav", tone(tmp_path, 440))
    for file in (app.config["IVR"].storage_dir / "prompts").rglob("*.wav"):
        file.unlink()
    assert client.get(f"/prompts/d{station.id}/greeting.wav").status_code == 404


def test_speech_before_a_transfer_plays_the_first_station_s_prompt(
    app, client, station, other_station, call, db_session, tmp_path
):
    # Both stations have a "notice.wav"; each menu must play its own.
    first = store(app, db_session, station, "notice.wav", tone(tmp_path, 440))
    second = store(app, db_session, other_station, "notice.wav", tone(tmp_path, 880))
    assert first != second
    tongde = publish(
        db_session,
        other_station,
        """
start: welcome
languages: [zh]
nodes:
  welcome:
    kind: menu
    prompt: {zh: {play: notice.wav}}
    options: {1: vm}
    fallback: vm
  vm: {kind: voicemail, prompt: {zh: 请留言。}}
""",
    )
    nanzhou = publish(
        db_session,
        station,
        """
start: hello
languages: [zh]
nodes:
  hello:
    kind: transfer
    prompt: {zh: {play: notice.wav}}
    station: baiyun-tongde
""",
    )
    heard = Twiml.of(call())
    assert play_urls(heard) == [
        f"{PUBLIC_URL}/prompts/v{nanzhou.id}/notice.wav",
        f"{PUBLIC_URL}/prompts/v{tongde.id}/notice.wav",
    ]
    assert heard.query("Gather")["m"] == f"v{tongde.id}"
    played = [fetch(client, url).data for url in play_urls(heard)]
    assert played == [first, second]


def test_prompt_urls_name_the_menu_and_keep_absolute_sources():
    urls = VoiceUrls(PUBLIC_URL, "v7")
    assert urls.prompt("notice.wav") == f"{PUBLIC_URL}/prompts/v7/notice.wav"
    assert urls.prompt("https://cdn.example.org/a.mp3") == "https://cdn.example.org/a.mp3"
    tied = f"{PUBLIC_URL}/prompts/v3/notice.wav"
    assert urls.prompt(tied) == tied
    plain = VoiceUrls("http://127.0.0.1:5000", "d2")
    assert plain.prompt("http://127.0.0.1:5000/prompts/v3/a.wav") == (
        "http://127.0.0.1:5000/prompts/v3/a.wav"
    )
    assert plain.prompt("a.wav") == "http://127.0.0.1:5000/prompts/d2/a.wav"
