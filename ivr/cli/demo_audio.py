"""Recordings for the demo's voicemails, so the console's player plays and the words light up.

Which: every demo voicemail at the demo users' stations (by the voicemail's station or its
ticket's), and the ``recent`` most recent demo voicemails elsewhere (for the district and
city admins); the rest of a month of made-up voicemails stay without audio, as before.
Each distinct saying is synthesised once per voice (``ivr.cli.demo_speech``) and every
voicemail gets its own stored copy through the storage API, as the pipeline stores a
recording fetched from Twilio (a private WAV, sealed when ``IVR_STORAGE_KEYS`` is set).

Without a Vosk model for Mandarin, the demo transcript's word times are replaced by the
synthesis's own. With one (``IVR_VOSK_MODEL_ZH``), the made-up transcript is removed, the
voicemail goes back to ``fetched``, and the real pipeline's job is queued: a worker
(``ivr worker``, or ``ivr serve``) transcribes the audio for real.

No transaction is open while espeak-ng runs or a file is written; each batch of rows is
written in one short transaction, only where the voicemail still has no recording, so a
second run (or two at once) adds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ivr.cli.demo_activity import RECORDING_PREFIX, SAYINGS
from ivr.cli.demo_speech import Speech, SynthesisFailed, speak, voice_for
from ivr.config import Config
from ivr.storage import Storage, storage_for
from ivr.voicemails.recordings import Stored, store_recording
from models import Caller, Station, Ticket, Transcript, Voicemail, VoicemailState, utcnow
from transcription.registry import ModelRegistry, ModelUnavailable

RECENT_ELSEWHERE = 100  # most recent demo voicemails outside the demo users' stations
BATCH = 50  # rows written per transaction
CONTENT_TYPE = "audio/x-wav"  # what Twilio's media URL answers for a .wav recording
DEMO_LANGUAGE = "zh"


@dataclass(frozen=True)
class Planned:
    voicemail_id: int
    station_code: str
    created_at: datetime
    text: str
    voice: str
    old_words: list[dict[str, Any]] | None  # the made-up transcript's words, if any


@dataclass
class AudioResult:
    voicemails: int = 0
    sayings: int = 0  # distinct (saying, voice) pairs synthesised
    seconds: float = 0.0
    queued: list[int] = field(default_factory=list)
    model: str | None = None  # the Mandarin model's folder when transcribing for real
    missing: str | None = None  # why there is no audio (espeak-ng not installed …)

    def summary(self) -> str:
        if self.missing:
            return f"none made: {self.missing}"
        if not self.voicemails:
            return "every demo voicemail chosen already has its recording"
        made = (
            f"{self.voicemails} voicemails given synthesised Mandarin speech "
            f"({self.sayings} sayings by espeak-ng, {self.seconds:.1f} s)"
        )
        if self.model:
            return (
                f"{made}; {len(self.queued)} queued for transcription by the Vosk model "
                f"{self.model} (run `ivr worker`, or `ivr serve` without --no-worker)"
            )
        return f"{made}; word times from the synthesis"


def mandarin_model(config: Config) -> str | None:
    """The configured model folder that would transcribe a Mandarin voicemail, if usable."""
    try:
        return str(ModelRegistry(config.vosk_models).resolve(DEMO_LANGUAGE).path)
    except ModelUnavailable:
        return None


def add_demo_audio(
    sessions: sessionmaker[Session],
    config: Config,
    station_codes: Collection[str],
    recent: int = RECENT_ELSEWHERE,
    enqueue: Callable[[int], None] | None = None,
    *,
    storage: Storage | None = None,
) -> AudioResult:
    """Give the chosen demo voicemails a recording (see the module doc). ``enqueue`` queues
    the pipeline's job for a voicemail id; it is used when a Mandarin model is configured."""
    started = time.perf_counter()
    storage = storage or storage_for(config, sessions)
    model = mandarin_model(config) if enqueue is not None else None
    with sessions() as session:
        plan = _plan(session, station_codes, recent)
        session.commit()
    result = AudioResult(model=model)
    if not plan:
        return result
    keys = list(dict.fromkeys((p.text, p.voice) for p in plan))
    try:
        with ThreadPoolExecutor(max_workers=4) as pool:  # espeak-ng runs outside the GIL
            spoken = dict(zip(keys, pool.map(lambda key: speak(*key), keys), strict=True))
    except SynthesisFailed as exc:  # the demo works without audio, as it did before
        result.missing = str(exc)
        return result
    result.sayings = len(spoken)
    for batch in _batches(plan, BATCH):
        stored = [
            (item, _store(storage, item, spoken[item.text, item.voice].wav)) for item in batch
        ]
        with sessions() as session:
            kept = [
                item.voicemail_id
                for item, copy in stored
                if _record(session, item, copy, spoken[item.text, item.voice], model is not None)
            ]
            session.commit()
        for item, copy in stored:
            if item.voicemail_id not in kept:  # another run gave it one meanwhile
                storage.remove(copy.path)
        result.voicemails += len(kept)
        if model is not None and enqueue is not None:
            for voicemail_id in kept:
                enqueue(voicemail_id)
                result.queued.append(voicemail_id)
    result.seconds = time.perf_counter() - started
    return result


def _plan(session: Session, station_codes: Collection[str], recent: int) -> list[Planned]:
    demo = Voicemail.recording_sid.like(f"{RECORDING_PREFIX}%")
    at_demo_stations = or_(
        Voicemail.station_id.in_(select(Station.id).where(Station.code.in_(station_codes))),
        Voicemail.ticket_id.in_(
            select(Ticket.id)
            .join(Station, Station.id == Ticket.station_id)
            .where(Station.code.in_(station_codes))
        ),
    )
    latest_elsewhere = (
        select(Voicemail.id)
        .where(demo, ~at_demo_stations)
        .order_by(Voicemail.created_at.desc(), Voicemail.id.desc())
        .limit(recent)
    )
    rows = session.execute(
        select(Voicemail, Station.code, Caller.name, Transcript)
        .outerjoin(Station, Station.id == Voicemail.station_id)
        .outerjoin(Caller, Caller.id == Voicemail.caller_id)
        .outerjoin(Transcript, Transcript.voicemail_id == Voicemail.id)
        .where(
            demo,
            Voicemail.storage_path.is_(None),
            Voicemail.purged_at.is_(None),
            or_(at_demo_stations, Voicemail.id.in_(latest_elsewhere.scalar_subquery())),
        )
        .order_by(Voicemail.id)
    )
    plan = []
    for voicemail, code, name, transcript in rows:
        if transcript is not None and transcript.blanked_at is not None:
            continue  # retention emptied it: nothing to say
        text = transcript.text if transcript is not None else _saying(voicemail)
        if not text:
            continue
        plan.append(
            Planned(
                voicemail_id=voicemail.id,
                station_code=code or "unassigned",
                created_at=voicemail.created_at,
                text=text,
                voice=voice_for(name),
                old_words=list(transcript.words) if transcript is not None else None,
            )
        )
    return plan


def _saying(voicemail: Voicemail) -> str:
    """What a voicemail still being transcribed says: a saying of the need it was left for."""
    need = next((tag for tag in voicemail.menu_tags or () if tag in SAYINGS), "food")
    sayings = SAYINGS[need]
    return sayings[voicemail.id % len(sayings)]


def _batches(items: list[Planned], size: int) -> Iterator[list[Planned]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _store(storage: Storage, item: Planned, wav: bytes) -> Stored:
    return store_recording(storage, item.station_code, item.voicemail_id, wav, item.created_at)


def _record(
    session: Session, item: Planned, copy: Stored, speech: Speech, transcribe: bool
) -> bool:
    """Point the voicemail at its recording, if it still has none; then either drop the
    made-up transcript for the pipeline to replace, or give its words the speech's times."""
    values: dict[str, Any] = {
        "storage_path": copy.path,
        "sha256": copy.sha256,
        "size_bytes": copy.size,
        "content_type": CONTENT_TYPE,
        "fetched_at": item.created_at + timedelta(seconds=5),
        # Made up here, so there is no copy at Twilio: the pipeline must never ask Twilio
        # to delete one (it skips a voicemail whose copy is marked gone).
        "twilio_deleted_at": item.created_at + timedelta(seconds=5),
        "duration_seconds": max(1, round(speech.seconds)),
        "updated_at": utcnow(),
    }
    if transcribe:
        values.update(
            state=VoicemailState.FETCHED,
            transcribed_at=None,
            attempts=0,
            decode_attempts=0,
            last_error=None,
            retry_at=None,
        )
    changed = session.execute(
        update(Voicemail)
        .where(Voicemail.id == item.voicemail_id, Voicemail.storage_path.is_(None))
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:
        return False
    if transcribe:
        session.execute(delete(Transcript).where(Transcript.voicemail_id == item.voicemail_id))
    elif item.old_words is not None:
        session.execute(
            update(Transcript)
            .where(Transcript.voicemail_id == item.voicemail_id)
            .values(
                words=list(timed_words(speech, item.old_words)),
                audio_seconds=speech.seconds,
            )
            .execution_options(synchronize_session=False)
        )
    return True


def timed_words(speech: Speech, old: list[dict[str, Any]]) -> Iterable[dict[str, Any]]:
    """The speech's words with the confidence the made-up transcript gave each (0.9 where
    it had none for that word)."""
    for index, word in enumerate(speech.words):
        before = old[index] if index < len(old) else {}
        conf = before.get("conf", 0.9) if before.get("word") == word["word"] else 0.9
        yield {**word, "conf": conf}
