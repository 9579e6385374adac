"""The prompt library: real audio converted to 8 kHz mono WAV, refusals, the admin page."""

from __future__ import annotations

import io
import subprocess
import wave
from pathlib import Path

import pytest
from sqlalchemy import select

from ivr.menus.prompts import (
    PromptNameInvalid,
    PromptRejected,
    convert_prompt,
    normalise_name,
    prompt_names,
    save_prompt,
)
from ivr.menus.validate import MenuInvalid
from ivr.menus.versions import save_version
from ivr.storage import storage as app_storage
from models import AuditLog, MenuVersion, PromptFile
from tests.conftest import fresh
from tests.ivr.console.conftest import Browser

ENCODERS = {"wav": [], "mp3": ["-c:a", "libmp3lame"], "ogg": ["-c:a", "libvorbis"], "m4a": []}


def make_audio(
    folder: Path, fmt: str, seconds: float = 1.0, rate: int = 44100, channels: int = 2
) -> bytes:
    """A sine tone of ``seconds`` as a real ``fmt`` file, made by ffmpeg."""
    target = folder / f"tone-{seconds}-{rate}-{channels}.{fmt}"
    if not target.exists():
        tone = f"sine=frequency=440:duration={seconds}:sample_rate={rate}"
        subprocess.run(
            ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", tone, "-ac", str(channels)]
            + ENCODERS[fmt]
            + [str(target)],
            check=True,
        )
    return target.read_bytes()


@pytest.fixture(scope="session")
def audio_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("audio")


@pytest.fixture(scope="session")
def png(audio_dir: Path) -> bytes:
    target = audio_dir / "picture.png"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=32x32:rate=1"]
        + ["-frames:v", "1", str(target)],
        check=True,
    )
    return target.read_bytes()


@pytest.fixture(scope="session")
def silent_video(audio_dir: Path) -> bytes:
    target = audio_dir / "video.mp4"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "testsrc=duration=1:size=32x32"]
        + ["-c:v", "mpeg4", str(target)],
        check=True,
    )
    return target.read_bytes()


def wav_facts(data: bytes) -> tuple[int, int, int, float]:
    with wave.open(io.BytesIO(data)) as reader:
        frames = reader.getnframes()
        rate = reader.getframerate()
        return rate, reader.getnchannels(), reader.getsampwidth(), frames / rate


# --- conversion ------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["wav", "mp3", "ogg", "m4a"])
def test_every_accepted_format_becomes_8khz_mono_16bit(audio_dir, fmt):
    converted = convert_prompt(make_audio(audio_dir, fmt))
    rate, channels, width, seconds = wav_facts(converted.data)
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds == pytest.approx(1.0, abs=0.06)
    assert converted.duration_seconds == pytest.approx(seconds, abs=0.001)
    assert converted.sample_rate == 8000 and converted.size_bytes == len(converted.data)


def test_the_format_is_told_by_content_not_by_name(audio_dir):
    # Nothing but the bytes reaches the converter; an MP3 is an MP3 whatever it was called.
    assert convert_prompt(make_audio(audio_dir, "mp3")).source_format == "MP3"
    assert convert_prompt(make_audio(audio_dir, "m4a")).source_format == "M4A/MP4"


def test_longer_audio_measures_its_own_length(audio_dir):
    converted = convert_prompt(make_audio(audio_dir, "ogg", seconds=3.5, rate=22050, channels=1))
    assert converted.duration_seconds == pytest.approx(3.5, abs=0.06)
    assert wav_facts(converted.data)[3] == pytest.approx(3.5, abs=0.06)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d, png, video: "请尽快回电。\n".encode() * 50, "not_audio"),
        (lambda d, png, video: png, "not_audio"),
        (lambda d, png, video: video, "no_audio"),
        (lambda d, png, video: make_audio(d, "mp3")[:300], "not_audio"),
        (lambda d, png, video: make_audio(d, "mp3")[: len(make_audio(d, "mp3")) // 2], "damaged"),
        (lambda d, png, video: make_audio(d, "wav")[:88_239], "damaged"),
        (lambda d, png, video: make_audio(d, "wav", seconds=0.1), "too_short"),
        (lambda d, png, video: b"", "empty"),
    ],
    ids=[
        "text",
        "png",
        "video-without-sound",
        "mp3-head",
        "truncated-mp3",
        "cut-wav",
        "short",
        "empty",
    ],
)
def test_what_is_not_usable_audio_is_refused_with_a_reason(
    audio_dir, png, silent_video, make, reason
):
    with pytest.raises(PromptRejected) as refused:
        convert_prompt(make(audio_dir, png, silent_video))
    assert refused.value.reason == reason


def test_more_than_ten_minutes_is_refused(audio_dir):
    target = audio_dir / "long.mp3"
    tone = "sine=frequency=300:duration=620:sample_rate=8000"
    subprocess.run(
        ["ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", tone, "-b:a", "8k", str(target)],
        check=True,
    )
    with pytest.raises(PromptRejected) as refused:
        convert_prompt(target.read_bytes())
    assert refused.value.reason == "too_long"


def test_size_is_checked_before_any_decoding():
    # Garbage that ffmpeg would call "not audio": the size refusal comes first.
    with pytest.raises(PromptRejected) as refused:
        convert_prompt(b"not audio at all" * 100, max_bytes=1000)
    assert refused.value.reason == "too_large" and refused.value.detail == {"limit": 1000}


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("Policy Notice.mp3", "policy-notice.wav"),
        ("  closed_NIGHT  ", "closed_night.wav"),
        ("防疫 notice 2", "notice-2.wav"),
        ("a/../../etc/passwd", "a-etc-passwd.wav"),
        ("x" * 56, "x" * 56 + ".wav"),
    ],
)
def test_names_are_normalised_to_what_menus_may_play(typed, name):
    from ivr.menus.fields import PLAY_FILE

    assert normalise_name(typed) == name
    assert PLAY_FILE.fullmatch(name)


@pytest.mark.parametrize(
    ("typed", "reason"), [("政策通知", "empty"), ("--", "empty"), ("x" * 57, "too_long")]
)
def test_names_with_nothing_usable_or_too_long_are_refused(typed, reason):
    with pytest.raises(PromptNameInvalid) as refused:
        normalise_name(typed)
    assert refused.value.reason == reason


# --- the page ---------------------------------------------------------------------------


def _stored_files(app) -> list[Path]:  # type: ignore[no-untyped-def]
    folder = app.config["IVR"].storage_dir / "prompts"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def _upload(browser: Browser, station_id: int, data: bytes, filename: str, **fields: str):  # type: ignore[no-untyped-def]
    return browser.post(
        f"/admin/stations/{station_id}/prompts/upload",
        file=(io.BytesIO(data), filename),  # type: ignore[arg-type]
        **fields,
    )


def _prompts(db_session, station_id: int) -> list[PromptFile]:  # type: ignore[no-untyped-def]
    fresh(db_session)
    query = select(PromptFile).where(PromptFile.station_id == station_id)
    return list(db_session.scalars(query.order_by(PromptFile.name)))


def test_an_upload_is_converted_stored_listed_and_audited(
    app, admin_world, login, db_session, audio_dir
):
    a = admin_world["stations"]["a"]
    browser = login("admin-a")
    page = _upload(
        browser,
        a.id,
        make_audio(audio_dir, "mp3"),
        "通知.mp3",
        name="Policy Notice",
        description="防疫政策",
    )
    assert page.status_code == 200
    assert "已保存录音 policy-notice.wav" in page.get_data(as_text=True)
    [prompt] = _prompts(db_session, a.id)
    assert prompt.name == "policy-notice.wav" and prompt.description == "防疫政策"
    assert prompt.original_filename == "通知.mp3"
    assert prompt.uploaded_by_id == admin_world["users"]["admin-a"].id
    assert prompt.duration_seconds == pytest.approx(1.0, abs=0.06) and prompt.sample_rate == 8000
    [stored] = _stored_files(app)
    assert stored.parent == app.config["IVR"].storage_dir / "prompts" / str(a.id)
    assert stored.name != prompt.name and prompt.storage_path.endswith(stored.name)
    rate, channels, width, seconds = wav_facts(stored.read_bytes())
    assert (rate, channels, width) == (8000, 1, 2)
    assert seconds == pytest.approx(prompt.duration_seconds, abs=0.001)
    assert prompt.size_bytes == stored.stat().st_size
    import hashlib

    assert prompt.sha256 == hashlib.sha256(stored.read_bytes()).hexdigest()
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "prompt.upload")).one()
    assert audit.station_id == a.id and audit.detail["name"] == "policy-notice.wav"
    assert audit.user_id == admin_world["users"]["admin-a"].id

    listing = browser.get(f"/admin/stations/{a.id}/prompts").get_data(as_text=True)
    assert "policy-notice.wav" in listing and "1.0 秒" in listing and "防疫政策" in listing
    assert f'src="/prompts/d{a.id}/policy-notice.wav"' in listing
    assert "已发布的菜单未使用" in listing
    played = browser.get(f"/prompts/d{a.id}/policy-notice.wav")
    assert played.status_code == 200 and played.data == stored.read_bytes()


def test_without_a_typed_name_the_file_name_is_used(app, admin_world, login, db_session, audio_dir):
    a = admin_world["stations"]["a"]
    page = _upload(login("admin-a"), a.id, make_audio(audio_dir, "ogg"), "Night Closed.ogg")
    assert page.status_code == 200
    assert [p.name for p in _prompts(db_session, a.id)] == ["night-closed.wav"]


@pytest.mark.parametrize(
    ("make", "filename", "message"),
    [
        (lambda d, png: "这不是录音".encode() * 40, "notes.mp3", "无法识别为录音"),
        (lambda d, png: png, "photo.wav", "无法识别为录音"),
        (
            lambda d, png: make_audio(d, "mp3")[: len(make_audio(d, "mp3")) // 2],
            "cut.mp3",
            "不完整或已损坏",
        ),
    ],
    ids=["text", "png", "truncated-mp3"],
)
def test_non_audio_is_refused_in_the_page_and_nothing_is_stored(
    app, admin_world, login, db_session, audio_dir, png, make, filename, message
):
    a = admin_world["stations"]["a"]
    page = _upload(login("admin-a"), a.id, make(audio_dir, png), filename, name="notice")
    assert page.status_code == 400
    body = page.get_data(as_text=True)
    assert message in body and 'class="field-error" id="file-error"' in body
    assert 'value="notice"' in body  # what was typed is kept
    assert _prompts(db_session, a.id) == [] and _stored_files(app) == []
    assert db_session.scalars(select(AuditLog).where(AuditLog.action.like("prompt.%"))).all() == []


@pytest.mark.parametrize("size", [30_000, 200_000], ids=["just-over", "far-over"])
def test_too_large_is_refused_before_decoding(make_app, admin_world, db_session, size):
    app = make_app(IVR_MAX_PROMPT_BYTES="20000")
    browser = Browser(app.test_client())
    assert browser.login("admin-a").status_code == 302
    a = admin_world["stations"]["a"]
    # Not audio at all: were it decoded, the page would say so instead.
    page = _upload(browser, a.id, b"\x00not audio" * (size // 10), "big.wav", name="big")
    assert page.status_code == 413
    body = page.get_data(as_text=True)
    assert "文件太大：录音文件最大 20 KB" in body and "无法识别" not in body
    assert "录音库" in body  # the page itself, not a bare error
    assert _prompts(db_session, a.id) == [] and _stored_files(app) == []


def test_the_size_limit_reads_from_configuration(make_app, admin_world, audio_dir):
    app = make_app(IVR_MAX_PROMPT_BYTES="150000")
    assert app.config["IVR"].max_prompt_bytes == 150_000
    browser = Browser(app.test_client())
    browser.login("admin-a")
    a = admin_world["stations"]["a"]
    wav = make_audio(audio_dir, "wav")  # 176 kB
    assert len(wav) > 150_000
    page = _upload(browser, a.id, wav, "tone.wav")
    assert page.status_code == 413 and "最大 146 KB" in page.get_data(as_text=True)
    assert _upload(browser, a.id, make_audio(audio_dir, "mp3"), "tone.mp3").status_code == 200


def test_an_upload_without_the_csrf_token_is_refused(
    app, admin_world, login, db_session, audio_dir
):
    a = admin_world["stations"]["a"]
    browser = login("admin-a")
    response = browser.client.post(
        f"/admin/stations/{a.id}/prompts/upload",
        data={"file": (io.BytesIO(make_audio(audio_dir, "mp3")), "x.mp3"), "name": "x"},
    )
    assert response.status_code == 400
    assert _prompts(db_session, a.id) == []


def test_a_name_in_use_needs_replace_ticked_then_replaces_the_file(
    app, admin_world, login, db_session, audio_dir
):
    a = admin_world["stations"]["a"]
    browser = login("admin-a")
    assert (
        _upload(browser, a.id, make_audio(audio_dir, "mp3"), "a.mp3", name="notice").status_code
        == 200
    )
    [first] = _stored_files(app)
    longer = make_audio(audio_dir, "wav", seconds=2.0, rate=16000, channels=1)
    page = _upload(browser, a.id, longer, "b.wav", name="notice", description="新版")
    assert page.status_code == 400
    assert "已有名为 notice.wav 的录音" in page.get_data(as_text=True)
    assert _stored_files(app) == [first]

    page = _upload(browser, a.id, longer, "b.wav", name="notice", description="新版", replace="1")
    assert page.status_code == 200
    [prompt] = _prompts(db_session, a.id)
    assert prompt.duration_seconds == pytest.approx(2.0, abs=0.06) and prompt.description == "新版"
    [second] = _stored_files(app)
    assert second != first and not first.exists()
    actions = db_session.scalars(select(AuditLog.action).order_by(AuditLog.id)).all()
    assert actions[-2:] == ["prompt.upload", "prompt.replace"]


def test_bad_fields_are_reported_next_to_them(app, admin_world, login, db_session, audio_dir):
    a = admin_world["stations"]["a"]
    browser = login("admin-a")
    page = _upload(
        browser,
        a.id,
        make_audio(audio_dir, "mp3"),
        "x.mp3",
        name="政策通知",
        description="长" * 201,
    )
    body = page.get_data(as_text=True)
    assert page.status_code == 400
    assert 'id="name-error"' in body and "只能用英文字母" in body
    assert 'id="description-error"' in body and "200" in body
    missing = browser.post(f"/admin/stations/{a.id}/prompts/upload", name="x")
    assert missing.status_code == 400 and "请选择要上传的录音文件" in missing.get_data(as_text=True)
    assert _prompts(db_session, a.id) == []


PLAYING = """
start: hello
languages: [zh]
nodes:
  hello:
    kind: message
    prompt: {zh: {play: notice.wav}}
    next: bye
  bye: {kind: hangup, prompt: {zh: 再见}}
"""


def _stored_prompt(app, db_session, station, name: str, audio: bytes) -> PromptFile:  # type: ignore[no-untyped-def]
    prompt = save_prompt(
        db_session,
        station,
        name,
        convert_prompt(audio),
        None,
        storage=app_storage(app),
    )
    db_session.commit()
    return prompt


def test_a_file_written_for_a_transaction_that_rolls_back_is_removed(
    app, admin_world, db_session, audio_dir
):
    a = admin_world["stations"]["a"]
    save_prompt(
        db_session,
        a,
        "x.wav",
        convert_prompt(make_audio(audio_dir, "mp3")),
        None,
        storage=app_storage(app),
    )
    assert len(_stored_files(app)) == 1
    db_session.rollback()
    assert _stored_files(app) == [] and prompt_names(db_session, a.id) == set()


def test_a_prompt_the_published_menu_plays_cannot_be_deleted(
    app, admin_world, login, db_session, audio_dir
):
    a = admin_world["stations"]["a"]
    prompt = _stored_prompt(app, db_session, a, "notice.wav", make_audio(audio_dir, "mp3"))
    save_version(db_session, a, PLAYING, publish=True)
    db_session.commit()
    browser = login("admin-a")
    listing = browser.get(f"/admin/stations/{a.id}/prompts").get_data(as_text=True)
    assert "已发布的菜单在用" in listing and "nodes.hello.prompt.zh" in listing

    refused = browser.post(f"/admin/stations/{a.id}/prompts/{prompt.id}/delete")
    assert refused.status_code == 409
    body = refused.get_data(as_text=True)
    assert "不能删除" in body and "nodes.hello.prompt.zh" in body and "已发布的菜单" in body
    assert [p.name for p in _prompts(db_session, a.id)] == ["notice.wav"]
    assert len(_stored_files(app)) == 1


def test_a_prompt_the_latest_draft_plays_cannot_be_deleted(
    app, admin_world, login, db_session, audio_dir
):
    a = admin_world["stations"]["a"]
    prompt = _stored_prompt(app, db_session, a, "notice.wav", make_audio(audio_dir, "mp3"))
    save_version(db_session, a, PLAYING, publish=False)
    db_session.commit()
    refused = login("admin-a").post(f"/admin/stations/{a.id}/prompts/{prompt.id}/delete")
    assert refused.status_code == 409
    assert "最新草稿：nodes.hello.prompt.zh" in refused.get_data(as_text=True)


def test_an_unused_prompt_is_deleted_with_its_file_and_audited(
    app, admin_world, login, db_session, audio_dir
):
    a = admin_world["stations"]["a"]
    prompt = _stored_prompt(app, db_session, a, "notice.wav", make_audio(audio_dir, "mp3"))
    [stored] = _stored_files(app)
    page = login("admin-a").post(f"/admin/stations/{a.id}/prompts/{prompt.id}/delete")
    assert page.status_code == 200 and "已删除录音 notice.wav" in page.get_data(as_text=True)
    assert _prompts(db_session, a.id) == [] and not stored.exists()
    audit = db_session.scalars(select(AuditLog).where(AuditLog.action == "prompt.delete")).one()
    assert audit.station_id == a.id and audit.detail == {"name": "notice.wav"}


def test_admins_of_other_stations_see_nothing_of_a_station_s_prompts(
    app, admin_world, login, db_session, audio_dir
):
    a = admin_world["stations"]["a"]
    prompt = _stored_prompt(app, db_session, a, "nanzhou-only.wav", make_audio(audio_dir, "mp3"))
    browser = login("admin-b")
    assert browser.get(f"/admin/stations/{a.id}/prompts").status_code == 404
    assert browser.post(f"/admin/stations/{a.id}/prompts/{prompt.id}/delete").status_code == 404
    upload = _upload(browser, a.id, make_audio(audio_dir, "mp3"), "x.mp3", name="mine")
    assert upload.status_code == 404
    # B's own page does not list A's prompt, nor delete it by id.
    b = admin_world["stations"]["b"]
    assert "nanzhou-only.wav" not in browser.get(f"/admin/stations/{b.id}/prompts").get_data(
        as_text=True
    )
    browser.post(f"/admin/stations/{b.id}/prompts/{prompt.id}/delete")
    assert [p.name for p in _prompts(db_session, a.id)] == ["nanzhou-only.wav"]


def test_a_district_admin_manages_the_district_s_stations(app, admin_world, login, audio_dir):
    a2 = admin_world["stations"]["a2"]
    b = admin_world["stations"]["b"]
    browser = login("haizhu-admin")
    assert browser.get(f"/admin/stations/{a2.id}/prompts").status_code == 200
    assert browser.get(f"/admin/stations/{b.id}/prompts").status_code == 404


def test_workers_have_no_prompt_pages(app, admin_world, login):
    a = admin_world["stations"]["a"]
    assert login("worker-a").get(f"/admin/stations/{a.id}/prompts").status_code == 403


def test_the_page_offers_text_to_speech_voices_for_the_station_s_languages(
    app, admin_world, login, db_session
):
    a = admin_world["stations"]["a"]
    a.languages = ["zh", "en"]
    db_session.commit()
    body = login("admin-a").get(f"/admin/stations/{a.id}/prompts").get_data(as_text=True)
    assert "Google.cmn-CN-Standard-A" in body and "Polly.Joanna" in body
    assert "Google.yue-HK-Standard-A" not in body


def test_voices_speak_the_menu_language_s_say_language():
    from ivr.menus.document import DEFAULT_VOICES
    from ivr.menus.voices import VOICES

    assert set(VOICES) == set(DEFAULT_VOICES)
    for language, choices in VOICES.items():
        say_language, default_voice = DEFAULT_VOICES[language]
        assert choices[0][0] == default_voice
        for voice, _label in choices:
            assert voice.startswith("Polly.") or f".{say_language}-" in voice


# --- menus know the library ------------------------------------------------------------


def test_a_menu_playing_a_missing_prompt_is_refused_naming_the_node(
    app, admin_world, db_session, audio_dir
):
    a = admin_world["stations"]["a"]
    with pytest.raises(MenuInvalid) as refused:
        save_version(db_session, a, PLAYING, publish=True)
    assert [str(p) for p in refused.value.errors] == [
        "nodes.hello.prompt.zh.play: no prompt 'notice.wav' in the station's prompt library"
    ]
    db_session.rollback()
    _stored_prompt(app, db_session, a, "notice.wav", make_audio(audio_dir, "mp3"))
    assert prompt_names(db_session, a.id) == {"notice.wav"}
    version = save_version(db_session, a, PLAYING, publish=True)
    db_session.commit()
    assert db_session.get(MenuVersion, version.id) is not None
    # Another station's library does not count.
    with pytest.raises(MenuInvalid):
        save_version(db_session, admin_world["stations"]["b"], PLAYING, publish=True)
