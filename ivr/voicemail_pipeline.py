"""The worker's half of a voicemail: fetch, store, convert, transcribe, tag the ticket.

Runs in job-queue worker processes only (it loads Vosk models). Each call to
:func:`process` moves one voicemail as far as it can and says whether to try again later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ivr.config import Config
from ivr.recordings import (
    RecordingNotReady,
    RecordingRefused,
    RecordingUnavailable,
    fetch_recording,
    store_recording,
)
from ivr.tickets import sla_minutes, update_ticket
from ivr.voicemails import claim
from models import (
    Priority,
    Station,
    Tag,
    TagRule,
    Ticket,
    TicketEventKind,
    Transcript,
    Voicemail,
    VoicemailState,
    utcnow,
)
from transcription.audio import AudioInvalid, to_pcm
from transcription.registry import ModelRegistry, ModelUnavailable
from transcription.tagging import DEFAULT_RULES, KeywordRule, is_urgent, tags_for

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Settings:
    storage_dir: Path
    recording_hosts: tuple[str, ...]
    auth: tuple[str, str]
    models: ModelRegistry
    fetch_attempts: int = 4
    fetch_backoff: float = 1.0
    max_attempts: int = 6
    delete_after_fetch: bool = False
    twilio_http_client: Any = None  # twilio.http.HttpClient; tests fake Twilio's HTTP here

    @classmethod
    def from_config(cls, config: Config, twilio_http_client: Any = None) -> Settings:
        return cls(
            storage_dir=config.storage_dir,
            recording_hosts=config.recording_hosts,
            auth=(config.twilio_account_sid, config.twilio_auth_token),
            models=ModelRegistry(config.vosk_models),
            fetch_attempts=config.fetch_attempts,
            fetch_backoff=config.fetch_backoff,
            max_attempts=config.voicemail_max_attempts,
            delete_after_fetch=config.delete_recordings_after_fetch,
            twilio_http_client=twilio_http_client,
        )


@dataclass(frozen=True)
class Result:
    state: VoicemailState
    retry_in: float | None = None  # seconds, when it should be tried again


def process(session: Session, settings: Settings, voicemail_id: int) -> Result | None:
    """Move one voicemail on; None when there was nothing to do (final, or claimed elsewhere)."""
    voicemail = session.get(Voicemail, voicemail_id)
    if voicemail is None or voicemail.state.is_final:
        return None
    if not claim(session, voicemail, utcnow()):
        return None
    if voicemail.state is VoicemailState.RECEIVED:
        retry = _fetch(session, settings, voicemail)
        if retry is not None:
            return retry
    if voicemail.state is VoicemailState.FETCHED:
        _transcribe(session, settings, voicemail)
    return Result(voicemail.state)


def _fail(session: Session, voicemail: Voicemail, reason: str, state=VoicemailState.FAILED) -> None:  # type: ignore[no-untyped-def]
    voicemail.state = state
    voicemail.last_error = reason[:1000]
    ticket = session.get(Ticket, voicemail.ticket_id) if voicemail.ticket_id else None
    if ticket is not None:
        update_ticket(
            session,
            ticket,
            TicketEventKind.TRANSCRIPTION_FAILED,
            note=reason[:500],
            data={"voicemail_id": voicemail.id},
        )
    session.commit()
    log.warning("voicemail %s %s: %s", voicemail.id, state.value, reason)


def _fetch(session: Session, settings: Settings, voicemail: Voicemail) -> Result | None:
    try:
        fetched = fetch_recording(
            voicemail.recording_url,
            settings.auth,
            settings.recording_hosts,
            attempts=settings.fetch_attempts,
            backoff=settings.fetch_backoff,
        )
    except RecordingRefused as exc:
        log.error(
            "refused to fetch voicemail %s from %r: %s", voicemail.id, voicemail.recording_url, exc
        )
        _fail(session, voicemail, f"recording URL refused: {exc}")
        return Result(voicemail.state)
    except RecordingUnavailable as exc:
        _fail(session, voicemail, f"recording unavailable: {exc}")
        return Result(voicemail.state)
    except RecordingNotReady as exc:
        if voicemail.attempts >= settings.max_attempts:
            _fail(session, voicemail, f"recording never became available: {exc}")
            return Result(voicemail.state)
        voicemail.last_error = f"not yet available: {exc}"
        session.commit()
        return Result(voicemail.state, retry_in=30.0 * 2 ** (voicemail.attempts - 1))
    station = session.get(Station, voicemail.station_id) if voicemail.station_id else None
    now = utcnow()
    stored = store_recording(
        settings.storage_dir,
        station.code if station else "unassigned",
        voicemail.id,
        fetched.data,
        now,
    )
    voicemail.storage_path, voicemail.sha256, voicemail.size_bytes = (
        stored.path,
        stored.sha256,
        stored.size,
    )
    voicemail.content_type = fetched.content_type
    voicemail.fetched_at = now
    voicemail.state = VoicemailState.FETCHED
    voicemail.last_error = None
    session.commit()
    return None


def _delete_remote(settings: Settings, voicemail: Voicemail) -> None:
    """Remove Twilio's copy once ours is verified; a failure here loses nothing."""
    from twilio.rest import Client

    try:
        client = Client(*settings.auth, http_client=settings.twilio_http_client)
        client.recordings(voicemail.recording_sid).delete()
    except Exception:
        log.exception("could not delete recording %s from Twilio", voicemail.recording_sid)


def keyword_rules(session: Session, station_id: int | None) -> list[KeywordRule]:
    """The default keywords plus the global and this station's own rules."""
    scope = TagRule.station_id.is_(None)
    if station_id is not None:
        scope = or_(scope, TagRule.station_id == station_id)
    rows = session.execute(
        select(Tag.code, TagRule.keyword, TagRule.language)
        .join(TagRule.tag)
        .where(TagRule.active.is_(True), scope)
    )
    return [*DEFAULT_RULES, *(KeywordRule(code, kw, lang) for code, kw, lang in rows)]


def _transcribe(session: Session, settings: Settings, voicemail: Voicemail) -> None:
    from transcription.engine import transcribe

    data = (settings.storage_dir / (voicemail.storage_path or "")).read_bytes()
    try:
        pcm = to_pcm(data)
    except AudioInvalid as exc:
        _fail(session, voicemail, f"the recording is not usable audio: {exc}")
        return
    if settings.delete_after_fetch:
        _delete_remote(settings, voicemail)
    station = session.get(Station, voicemail.station_id) if voicemail.station_id else None
    language = voicemail.language or (station.languages[0] if station else "zh")
    try:
        resolved = settings.models.resolve(language)
    except ModelUnavailable as exc:
        _fail(session, voicemail, str(exc))
        return
    result = transcribe(pcm, resolved)
    now = utcnow()
    session.add(
        Transcript(
            voicemail_id=voicemail.id,
            text=result.text,
            raw_text=result.raw_text,
            words=result.words,
            confidence=result.confidence,
            language=result.language,
            language_fallback=result.language_fallback,
            model=result.model,
            audio_seconds=result.audio_seconds,
            decode_seconds=result.decode_seconds,
            created_at=now,
        )
    )
    voicemail.state = VoicemailState.TRANSCRIBED
    voicemail.transcribed_at = now
    voicemail.last_error = None
    _tag_ticket(session, voicemail, station, result.raw_text)
    session.commit()


def _tag_ticket(session: Session, voicemail: Voicemail, station: Station | None, text: str) -> None:
    ticket = session.get(Ticket, voicemail.ticket_id) if voicemail.ticket_id else None
    if ticket is None:
        return
    tags = sorted(tags_for(text, keyword_rules(session, voicemail.station_id)))
    urgent = is_urgent(tags)
    # The clock runs from when the resident called, not from when we understood them.
    due = voicemail.created_at + timedelta(minutes=sla_minutes(station, Priority.URGENT))
    due = due if urgent else None
    update_ticket(
        session,
        ticket,
        TicketEventKind.TRANSCRIBED,
        tags=tags,
        priority=Priority.URGENT if urgent else None,
        due=due,
        data={"voicemail_id": voicemail.id, "urgent": urgent},
    )


def stuck(session: Session, older_than: datetime) -> list[Voicemail]:
    """Voicemails in a non-final state untouched since ``older_than``: lost in flight."""
    return list(
        session.scalars(
            select(Voicemail)
            .where(
                Voicemail.state.in_([VoicemailState.RECEIVED, VoicemailState.FETCHED]),
                Voicemail.updated_at < older_than,
            )
            .order_by(Voicemail.id)
            .limit(500)
        )
    )
