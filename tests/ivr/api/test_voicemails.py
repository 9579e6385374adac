"""``/voicemails/{id}``: metadata, transcript, and the recording with range requests."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import AuditLog, Transcript, VoicemailState, utcnow
from tests import factories
from tests.conftest import fresh
from tests.ivr.api.conftest import error_code

AUDIO = b"RIFF" + b"\x24\x08\x00\x00WAVEfmt " + bytes(range(256)) * 8


@pytest.fixture
def voicemail(app, world, db_session):
    storage = app.config["IVR"].storage_dir
    (storage / "haizhu-nanzhou").mkdir(parents=True, exist_ok=True)
    (storage / "haizhu-nanzhou" / "1.wav").write_bytes(AUDIO)
    ticket = factories.ticket(db_session, world.a)
    row = factories.voicemail(
        db_session,
        ticket,
        state=VoicemailState.TRANSCRIBED,
        storage_path="haizhu-nanzhou/1.wav",
        size_bytes=len(AUDIO),
        duration_seconds=4,
        language="zh",
        menu_tags=["food"],
    )
    row.transcript = Transcript(
        text="我想买米",
        raw_text="我 想 买 米",
        words=[{"word": "我", "start": 0.1, "end": 0.2, "conf": 0.9}],
        confidence=0.9,
        language="zh",
        model="vosk-model-small-cn-0.22",
        audio_seconds=4.0,
        decode_seconds=0.5,
        created_at=utcnow(),
    )
    db_session.commit()
    return row


def _plays(db_session) -> list[AuditLog]:
    return list(
        fresh(db_session).scalars(select(AuditLog).where(AuditLog.action == "voicemail.play"))
    )


def test_metadata(api, voicemail):
    body = api("worker-a").get(f"/voicemails/{voicemail.id}").get_json()
    assert body["ticket_id"] == voicemail.ticket_id and body["state"] == "transcribed"
    assert body["station"] == "haizhu-nanzhou" and body["has_audio"] is True
    assert body["has_transcript"] is True and body["last_error"] is None
    assert body["menu_tags"] == ["food"]


def test_a_failed_voicemail_says_why(api, world, db_session):
    ticket = factories.ticket(db_session, world.a)
    row = factories.voicemail(
        db_session, ticket, state=VoicemailState.FAILED, last_error="no model"
    )
    db_session.commit()
    body = api("worker-a").get(f"/voicemails/{row.id}").get_json()
    assert body["state"] == "failed" and body["last_error"] == "no model"
    assert body["has_audio"] is False
    for part, code in (("transcript", "no_transcript"), ("audio", "no_audio")):
        response = api("worker-a").get(f"/voicemails/{row.id}/{part}")
        assert response.status_code == 404 and error_code(response) == code


def test_transcript(api, voicemail):
    body = api("worker-a").get(f"/voicemails/{voicemail.id}/transcript").get_json()
    assert body["text"] == "我想买米" and body["raw_text"] == "我 想 买 米"
    assert body["words"][0]["word"] == "我" and body["confidence"] == 0.9
    assert body["language"] == "zh" and body["model"] == "vosk-model-small-cn-0.22"


def test_audio_whole_then_ranges_audited_once_per_play(api, world, voicemail, db_session):
    worker = api("worker-a")
    whole = worker.get(f"/voicemails/{voicemail.id}/audio")
    assert whole.status_code == 200 and whole.data == AUDIO
    assert whole.mimetype == "audio/wav" and whole.headers["Accept-Ranges"] == "bytes"
    assert "no-store" in whole.headers["Cache-Control"]
    assert len(_plays(db_session)) == 1

    start = worker.get(f"/voicemails/{voicemail.id}/audio", headers={"Range": "bytes=0-99"})
    assert start.status_code == 206 and start.data == AUDIO[:100]
    assert start.headers["Content-Range"] == f"bytes 0-99/{len(AUDIO)}"
    later = worker.get(f"/voicemails/{voicemail.id}/audio", headers={"Range": "bytes=100-"})
    assert later.status_code == 206 and later.data == AUDIO[100:]

    plays = _plays(db_session)
    assert len(plays) == 2  # the whole file and the range from byte 0; not the later range
    assert {p.api_token_id for p in plays} == {_token_id(db_session, world)}
    assert plays[0].user_id == world.users["worker-a"].id
    assert plays[0].object_id == str(voicemail.id) and plays[0].station_id == world.a.id


def _token_id(db_session, world) -> int:  # type: ignore[no-untyped-def]
    from models import ApiToken

    prefix = world.tokens["worker-a"][:12]
    return db_session.scalar(select(ApiToken.id).where(ApiToken.prefix == prefix))


def test_an_unsatisfiable_range_is_416(api, voicemail):
    response = api("worker-a").get(
        f"/voicemails/{voicemail.id}/audio", headers={"Range": f"bytes={len(AUDIO) + 10}-"}
    )
    assert response.status_code == 416
    assert error_code(response) == "range_not_satisfiable"
    assert response.headers["Content-Range"] == f"bytes */{len(AUDIO)}"


def test_audio_outside_the_storage_directory_is_not_served(api, world, db_session):
    ticket = factories.ticket(db_session, world.a)
    row = factories.voicemail(db_session, ticket, storage_path="../../../etc/passwd")
    db_session.commit()
    response = api("worker-a").get(f"/voicemails/{row.id}/audio")
    assert response.status_code == 404 and error_code(response) == "no_audio"


@pytest.mark.parametrize("header", ["bytes=1-", "bytes=-50", "bytes=5-10"])
def test_audio_from_past_byte_0_without_a_play_is_audited(api, voicemail, db_session, header):
    response = api("worker-a").get(f"/voicemails/{voicemail.id}/audio", headers={"Range": header})
    assert response.status_code == 206
    [play] = _plays(db_session)
    assert play.detail == {"via": "api", "range": header}


def test_a_corrected_transcript_has_the_machine_text_and_the_correction(
    api, world, voicemail, db_session
):
    from models import TranscriptCorrection

    assert (
        api("worker-a").get(f"/voicemails/{voicemail.id}/transcript").get_json()["correction"]
        is None
    )
    row = fresh(db_session).get(Transcript, voicemail.transcript.id)
    row.corrections.append(
        TranscriptCorrection(
            text="我想买米和油",
            words=[{"word": "我", "start": 0.1, "end": 0.2, "conf": 0.9, "changed": False}],
            user_id=world.users["worker-a"].id,
            created_at=utcnow(),
            machine_edits=2,
            reference_length=6,
            metric="cer",
        )
    )
    db_session.commit()
    body = api("worker-a").get(f"/voicemails/{voicemail.id}/transcript").get_json()
    assert body["text"] == "我想买米" and body["corrected_text"] == "我想买米和油"
    correction = body["correction"]
    assert correction["corrected_by"] == "worker-a" and correction["metric"] == "cer"
    assert correction["machine_error_rate"] == round(2 / 6, 4)
    assert correction["words"][0]["changed"] is False and correction["corrections"] == 1
