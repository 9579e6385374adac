"""``ivr corpus export``: corrected transcripts and their sealed recordings as Kaldi data
directories, per language, skipping what retention removed; scoped by station, day and
language."""

from __future__ import annotations

import json
import wave
from datetime import timedelta

import pytest
from sqlalchemy import select

from ivr.privacy.keys import new_key
from ivr.storage import storage
from ivr.voicemails.recordings import store_recording
from models import AuditLog, Transcript, TranscriptCorrection, VoicemailState, utcnow
from tests import factories
from tests.conftest import fresh
from tests.fakes.speech import STEADY_PHRASE, synthesise

WORDS = [
    {"word": "我", "start": 0.0, "end": 0.2, "conf": 0.9, "changed": False},
    {"word": "家里", "start": 0.2, "end": 0.6, "conf": 0.9, "changed": False},
    {"word": "米，", "start": 0.6, "end": 0.8, "conf": 1.0, "changed": True},
    {"word": "OK!", "start": 0.8, "end": 1.0, "conf": 1.0, "changed": True},
]


@pytest.fixture
def app(make_app):  # type: ignore[no-untyped-def]
    return make_app(IVR_STORAGE_KEYS=new_key())


@pytest.fixture
def speech(tmp_path_factory) -> bytes:
    return synthesise(STEADY_PHRASE, tmp_path_factory.mktemp("s") / "v.wav").read_bytes()


def _voicemail(app, session, station, speech, *, corrected, language="zh", days_ago=1, caller=None):  # type: ignore[no-untyped-def]
    ticket = factories.ticket(session, station, caller)
    when = utcnow() - timedelta(days=days_ago)
    row = factories.voicemail(
        session, ticket, state=VoicemailState.TRANSCRIBED, created_at=when, language=language
    )
    session.flush()
    stored = store_recording(storage(app), station.code, row.id, speech, when)
    row.storage_path = stored.path
    row.transcript = Transcript(
        text="我想买米",
        raw_text="我 想 买 米",
        words=[],
        language=language,
        model="m",
        audio_seconds=2.0,
        decode_seconds=0.1,
        created_at=when,
    )
    for text in corrected:
        for old in row.transcript.corrections:
            old.superseded_at = when
        session.flush()
        row.transcript.corrections.append(
            TranscriptCorrection(
                text=text,
                words=WORDS if language == "zh" else [],
                created_at=when,
                machine_edits=1,
                reference_length=5,
                metric="cer",
            )
        )
    session.flush()
    return row


def test_the_export_is_a_kaldi_data_dir_of_corrected_transcripts(
    app, runner, db_session, speech, tmp_path
):
    district = factories.district(db_session, code="haizhu", name_zh="海珠区")
    nanzhou = factories.station(db_session, district, code="haizhu-nanzhou", name_zh="南洲街")
    fengyang = factories.station(db_session, district, code="haizhu-fengyang", name_zh="凤阳街")
    caller = factories.caller(db_session, "+8613900000001")
    kept = _voicemail(
        app, db_session, nanzhou, speech, corrected=["旧的", "我家里米，OK!"], caller=caller
    )
    _voicemail(app, db_session, nanzhou, speech, corrected=[])  # never corrected
    purged = _voicemail(app, db_session, nanzhou, speech, corrected=["我家里米"])
    purged.storage_path, purged.purged_at = None, utcnow()  # retention removed the audio
    blanked = _voicemail(app, db_session, nanzhou, speech, corrected=["我家里米"])
    blanked.transcript.corrections[0].text = ""
    blanked.transcript.corrections[0].blanked_at = utcnow()
    english = _voicemail(
        app, db_session, fengyang, speech, corrected=["I need rice"], language="en"
    )
    english.caller_id = None  # no one could tell who called: a speaker of its own
    db_session.commit()
    # The recordings are sealed at rest: the export decrypts them through the storage layer.
    config = app.config["IVR"]
    assert (config.storage_dir / kept.storage_path).read_bytes()[:4] != b"RIFF"
    assert storage(app).read(kept.storage_path) == speech

    out = tmp_path / "corpus"
    result = runner.invoke("corpus", "export", str(out))
    assert result.exit_code == 0, result.output
    assert "zh: 1 utterances" in result.output and "en: 1 utterances" in result.output

    utt = f"caller{caller.id}-{kept.id:08d}"
    zh = out / "zh"
    assert (zh / "wav.scp").read_text() == f"{utt} {out.resolve()}/zh/wav/{utt}.wav\n"
    # Whole recognised words stay words; typed characters stand alone; no punctuation.
    assert (zh / "text").read_text() == f"{utt} 我 家里 米 ok\n"
    assert (zh / "utt2spk").read_text() == f"{utt} caller{caller.id}\n"
    assert (zh / "spk2utt").read_text() == f"caller{caller.id} {utt}\n"
    with wave.open(str(zh / "wav" / f"{utt}.wav")) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (16000, 1, 2)
        assert audio.getnframes() > 16000 // 2
    en_utt = f"vm{english.id}-{english.id:08d}"
    assert (out / "en" / "text").read_text() == f"{en_utt} i need rice\n"
    manifest = json.loads((out / "corpus.json").read_text())
    assert manifest["languages"]["zh"]["utterances"] == 1
    audit = fresh(db_session).scalars(select(AuditLog).where(AuditLog.action == "corpus.export"))
    assert [a.detail["languages"]["zh"]["speakers"] for a in audit] == [1]
    assert blanked.id and purged.id  # neither exported

    # Scoped: a station, a language, a day; a folder that holds something is refused.
    scoped = tmp_path / "scoped"
    result = runner.invoke(
        "corpus", "export", str(scoped), "--station", "haizhu-fengyang", "--language", "en"
    )
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in scoped.iterdir()) == ["corpus.json", "en"]
    later = tmp_path / "later"
    tomorrow = (utcnow() + timedelta(days=2)).date().isoformat()
    result = runner.invoke("corpus", "export", str(later), "--since", tomorrow)
    assert result.exit_code == 0 and "nothing to export" in result.output
    again = runner.invoke("corpus", "export", str(out))
    assert again.exit_code == 1 and "not an empty folder" in again.output
    unknown = runner.invoke("corpus", "export", str(tmp_path / "x"), "--station", "nope")
    assert unknown.exit_code == 1 and "no such station: nope" in unknown.output
