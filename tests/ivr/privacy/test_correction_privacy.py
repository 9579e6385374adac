"""People's corrections of a transcript go where the machine's text goes: retention and
erasure blank them (their error counts stay, for the statistics), and a resident's export
holds them."""

from __future__ import annotations

import io
import json
import zipfile

from ivr.db import database
from ivr.privacy.requests import erase_number, export_number
from ivr.privacy.retention import enforce_retention
from models import TranscriptCorrection, utcnow
from tests.conftest import fresh
from tests.ivr.privacy.conftest import case, voicemail_of

NUMBER = "+8613912345678"


def _corrected(db_session, made) -> None:  # type: ignore[no-untyped-def]
    made["voicemail"].transcript.corrections.append(
        TranscriptCorrection(
            text="我想买米和油",
            words=[{"word": "米", "start": 0.1, "end": 0.3, "conf": 0.9, "changed": False}],
            created_at=utcnow(),
            machine_edits=2,
            reference_length=6,
            metric="cer",
        )
    )
    db_session.commit()


def test_retention_blanks_corrections_with_their_transcript(app, db_session, storage, nanzhou):
    old = case(db_session, storage, nanzhou, resolved_days_ago=800, days_ago=900)
    _corrected(db_session, old)
    fake = app.extensions["ivr.twilio_http_client"]
    enforce_retention(database(app).sessions, app.config["IVR"], twilio_http_client=fake)
    fresh(db_session)
    correction = voicemail_of(db_session, old["ticket"].id).transcript.corrections[0]
    assert (correction.text, correction.words) == ("", [])
    assert correction.blanked_at is not None
    assert (correction.machine_edits, correction.reference_length) == (2, 6)


def test_erasure_blanks_them_and_the_export_holds_them(app, db_session, storage, nanzhou):
    made = case(db_session, storage, nanzhou, number=NUMBER, resolved_days_ago=1)
    _corrected(db_session, made)
    buffer = io.BytesIO()
    export_number(db_session, app.config["IVR"], NUMBER, buffer)
    with zipfile.ZipFile(buffer) as archive:
        name = next(n for n in archive.namelist() if n.endswith(".json"))
        document = json.loads(archive.read(name))
    corrections = document["voicemails"][0]["transcript"]["corrections"]
    assert [c["text"] for c in corrections] == ["我想买米和油"]

    erase_number(
        db_session,
        database(app).sessions,
        app.config["IVR"],
        NUMBER,
        twilio_http_client=app.extensions["ivr.twilio_http_client"],
    )
    fresh(db_session)
    correction = voicemail_of(db_session, made["ticket"].id).transcript.corrections[0]
    assert correction.text == "" and correction.words == [] and correction.blanked_at
