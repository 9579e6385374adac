"""The demo's corrected transcripts: at 南洲街, by nanzhou-worker, the machine's mistake
kept beside what the resident said; made once."""

from __future__ import annotations

from sqlalchemy import select

from ivr.cli.demo_activity import SAYINGS
from models import Station, TicketEvent, TicketEventKind, TranscriptCorrection, User
from tests.conftest import fresh


def test_the_demo_has_nanzhou_worker_correct_some_transcripts(runner, db_session):
    made = runner.invoke("demo", "--days", "8", "--audio-elsewhere", "0")
    assert made.exit_code == 0, made.output
    assert "transcripts at 南洲街 corrected by nanzhou-worker" in made.output
    worker = db_session.scalar(select(User).where(User.username == "nanzhou-worker"))
    corrections = list(db_session.scalars(select(TranscriptCorrection)))
    assert corrections
    sayings = {s for texts in SAYINGS.values() for s in texts}
    for correction in corrections:
        transcript = correction.transcript
        voicemail = transcript.voicemail
        assert db_session.get(Station, voicemail.station_id).code == "haizhu-nanzhou"
        assert correction.user_id == worker.id and correction.superseded_at is None
        assert correction.text in sayings and transcript.text != correction.text
        assert 0 < correction.machine_edits < correction.reference_length
        assert any(w["changed"] for w in correction.words)
        event = db_session.scalar(
            select(TicketEvent).where(
                TicketEvent.ticket_id == voicemail.ticket_id,
                TicketEvent.kind == TicketEventKind.TRANSCRIPT_CORRECTED,
            )
        )
        assert event.actor_id == worker.id
    again = runner.invoke("demo", "--days", "8", "--audio-elsewhere", "0")
    assert "corrections: already there" in again.output
    assert len(list(fresh(db_session).scalars(select(TranscriptCorrection)))) == len(corrections)
