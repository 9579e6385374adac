"""The worker's half of a voicemail: fetch, store, convert, transcribe, tag the ticket.

Runs in job-queue worker processes only. Each call to :func:`process` takes the
voicemail's lease, moves it as far as it can and says whether to try again later.

No database transaction is open while a job waits on the network, ffmpeg or the decoder:
the job reads what it needs into a :class:`Job`, commits, does the slow work, and writes
the outcome in one short transaction that is conditional on still holding the lease.
Decoding runs in a child process (:mod:`transcription.isolated`), and each decode is
counted before it starts, so a recording that kills its decoder ends ``failed``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ivr.config import Config
from ivr.storage import Storage
from ivr.tickets.cases import sla_minutes, update_ticket
from ivr.voicemails import leases
from ivr.voicemails.leases import Lease
from ivr.voicemails.recordings import (
    RecordingNotReady,
    RecordingRefused,
    RecordingUnavailable,
    fetch_recording,
    store_recording,
)
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
from transcription.engine import Transcription
from transcription.isolated import DecoderFailed, IsolatedDecoder
from transcription.registry import ModelRegistry, ModelUnavailable
from transcription.tagging import DEFAULT_RULES, KeywordRule, is_urgent, tags_for

log = logging.getLogger(__name__)
DECODE_RETRY_SECONDS = 10.0
# A decode may take this long plus a few times the audio's length before it is stopped.
DECODE_TIME_PER_AUDIO_SECOND = 4.0

_decoder: IsolatedDecoder | None = None


def shared_decoder() -> IsolatedDecoder:
    """This worker process's decoding child, started on first use."""
    global _decoder
    if _decoder is None:
        _decoder = IsolatedDecoder()
    return _decoder


@dataclass(frozen=True)
class Settings:
    storage: Storage  # where recordings are kept (sealed with IVR_STORAGE_KEYS if set)
    recording_hosts: tuple[str, ...]
    auth: tuple[str, str]
    models: ModelRegistry
    fetch_attempts: int = 4
    fetch_backoff: float = 1.0
    max_attempts: int = 6
    delete_after_fetch: bool = False
    twilio_http_client: Any = None  # twilio.http.HttpClient; tests fake Twilio's HTTP here
    lease_seconds: float = 60.0
    decode_max_attempts: int = 2
    decode_timeout: float = 60.0

    @classmethod
    def from_config(
        cls, config: Config, storage: Storage, twilio_http_client: Any = None
    ) -> Settings:
        return cls(
            storage=storage,
            recording_hosts=config.recording_hosts,
            auth=(config.twilio_account_sid, config.twilio_auth_token),
            models=ModelRegistry(config.vosk_models),
            fetch_attempts=config.fetch_attempts,
            fetch_backoff=config.fetch_backoff,
            max_attempts=config.voicemail_max_attempts,
            delete_after_fetch=config.delete_recordings_after_fetch,
            twilio_http_client=twilio_http_client,
            lease_seconds=config.lease_seconds,
            decode_max_attempts=config.decode_max_attempts,
            decode_timeout=config.decode_timeout,
        )


@dataclass(frozen=True)
class Result:
    state: VoicemailState
    retry_in: float | None = None  # seconds, when it should be tried again


@dataclass(frozen=True)
class Job:
    """What a job needs to know about its voicemail, read once under the lease."""

    voicemail_id: int
    state: VoicemailState
    attempts: int
    decode_attempts: int
    recording_url: str
    recording_sid: str
    station_code: str
    language: str
    storage_path: str | None
    last_error: str | None


def process(
    sessions: sessionmaker[Session], settings: Settings, voicemail_id: int
) -> Result | None:
    """Move one voicemail on; None when there was nothing to do (final, leased elsewhere,
    or its retry not yet due)."""
    with sessions() as session:
        lease = leases.take(session, voicemail_id, settings.lease_seconds, utcnow())
        if lease is None:
            return None
        job = _read_job(session, voicemail_id)
        session.commit()
    with leases.Heartbeat(sessions, lease):
        try:
            return _work(sessions, settings, lease, job)
        except BaseException:
            # Let the sweep hand it on at once rather than after the lease runs out.
            _give_up_lease(sessions, lease)
            raise


def _read_job(session: Session, voicemail_id: int) -> Job:
    voicemail = session.get(Voicemail, voicemail_id)
    assert voicemail is not None
    station = session.get(Station, voicemail.station_id) if voicemail.station_id else None
    return Job(
        voicemail_id=voicemail.id,
        state=voicemail.state,
        attempts=voicemail.attempts,
        decode_attempts=voicemail.decode_attempts,
        recording_url=voicemail.recording_url,
        recording_sid=voicemail.recording_sid,
        station_code=station.code if station else "unassigned",
        language=voicemail.language or (station.languages[0] if station else "zh"),
        storage_path=voicemail.storage_path,
        last_error=voicemail.last_error,
    )


def _give_up_lease(sessions: sessionmaker[Session], lease: Lease) -> None:
    try:
        with sessions() as session:
            leases.write(session, lease, **leases.RELEASED)
            session.commit()
    except Exception:
        log.exception("could not release the lease on voicemail %s", lease.voicemail_id)


def _work(sessions: sessionmaker[Session], settings: Settings, lease: Lease, job: Job) -> Result:
    if job.attempts > settings.max_attempts:
        reason = f"gave up after {settings.max_attempts} attempts"
        return _fail(sessions, lease, f"{reason}: {job.last_error}" if job.last_error else reason)
    if job.state is VoicemailState.RECEIVED:
        fetched = _fetch(sessions, settings, lease, job)
        if isinstance(fetched, Result):
            return fetched
        job = fetched
    if job.decode_attempts >= settings.decode_max_attempts:
        return _fail(
            sessions,
            lease,
            f"the decoder did not finish this recording in {job.decode_attempts} tries: "
            f"{job.last_error or 'its process was killed'}",
        )
    return _transcribe(sessions, settings, lease, job)


def _fail(
    sessions: sessionmaker[Session],
    lease: Lease,
    reason: str,
    state: VoicemailState = VoicemailState.FAILED,
) -> Result:
    """End the voicemail with ``reason``, written on its ticket too."""
    with sessions() as session:
        if leases.write(session, lease, state=state, last_error=reason[:1000], **leases.RELEASED):
            voicemail = session.get(Voicemail, lease.voicemail_id)
            ticket = session.get(Ticket, voicemail.ticket_id) if voicemail.ticket_id else None
            if ticket is not None:
                update_ticket(
                    session,
                    ticket,
                    TicketEventKind.TRANSCRIPTION_FAILED,
                    note=reason[:500],
                    data={"voicemail_id": lease.voicemail_id},
                )
        session.commit()
    log.warning("voicemail %s %s: %s", lease.voicemail_id, state.value, reason)
    return Result(state)


def _retry_later(
    sessions: sessionmaker[Session],
    lease: Lease,
    seconds: float,
    reason: str,
    state: VoicemailState,
) -> Result:
    """Hand the lease back with a retry due in ``seconds``; until then nobody takes it."""
    with sessions() as session:
        leases.write(
            session,
            lease,
            retry_at=utcnow() + timedelta(seconds=seconds),
            last_error=reason[:1000],
            **leases.RELEASED,
        )
        session.commit()
    return Result(state, retry_in=seconds)


def _fetch(
    sessions: sessionmaker[Session], settings: Settings, lease: Lease, job: Job
) -> Job | Result:
    try:
        fetched = fetch_recording(
            job.recording_url,
            settings.auth,
            settings.recording_hosts,
            attempts=settings.fetch_attempts,
            backoff=settings.fetch_backoff,
        )
    except RecordingRefused as exc:
        log.error(
            "refused to fetch voicemail %s from %r: %s", job.voicemail_id, job.recording_url, exc
        )
        return _fail(sessions, lease, f"recording URL refused: {exc}")
    except RecordingUnavailable as exc:
        return _fail(sessions, lease, f"recording unavailable: {exc}")
    except RecordingNotReady as exc:
        if job.attempts >= settings.max_attempts:
            return _fail(sessions, lease, f"recording never became available: {exc}")
        delay = 30.0 * 2 ** (job.attempts - 1)
        return _retry_later(sessions, lease, delay, f"not yet available: {exc}", job.state)
    now = utcnow()
    stored = store_recording(
        settings.storage, job.station_code, job.voicemail_id, fetched.data, now
    )
    with sessions() as session:
        kept = leases.write(
            session,
            lease,
            storage_path=stored.path,
            sha256=stored.sha256,
            size_bytes=stored.size,
            content_type=fetched.content_type,
            fetched_at=now,
            state=VoicemailState.FETCHED,
            last_error=None,
        )
        session.commit()
    if not kept:
        return Result(job.state)  # the lease went elsewhere; that job stores its own copy
    return replace(job, state=VoicemailState.FETCHED, storage_path=stored.path)


def _delete_remote(sessions: sessionmaker[Session], settings: Settings, job: Job) -> None:
    """Remove Twilio's copy once ours is verified; a failure here loses nothing (the
    daily retention run tries again)."""
    from ivr.privacy.twilio_copy import delete_twilio_copy

    delete_twilio_copy(sessions, settings.auth, job.voicemail_id, settings.twilio_http_client)


def _transcribe(
    sessions: sessionmaker[Session], settings: Settings, lease: Lease, job: Job
) -> Result:
    data = settings.storage.read(job.storage_path)
    if data is None:
        return _fail(sessions, lease, "the stored copy of the recording is missing")
    try:
        pcm = to_pcm(data)
    except AudioInvalid as exc:
        return _fail(sessions, lease, f"the recording is not usable audio: {exc}")
    if settings.delete_after_fetch:
        _delete_remote(sessions, settings, job)
    try:
        resolved = settings.models.resolve(job.language)
    except ModelUnavailable as exc:
        return _fail(sessions, lease, str(exc))
    with sessions() as session:
        counted = leases.write(session, lease, decode_attempts=Voicemail.decode_attempts + 1)
        session.commit()
    if not counted:
        return Result(job.state)
    timeout = settings.decode_timeout + DECODE_TIME_PER_AUDIO_SECOND * pcm.seconds
    try:
        result = shared_decoder().transcribe(pcm, resolved, timeout)
    except DecoderFailed as exc:
        reason = f"decoding failed: {exc}"
        if job.decode_attempts + 1 >= settings.decode_max_attempts:
            return _fail(sessions, lease, f"{reason} ({job.decode_attempts + 1} tries)")
        return _retry_later(sessions, lease, DECODE_RETRY_SECONDS, reason, job.state)
    return _save_transcript(sessions, lease, result)


def _save_transcript(
    sessions: sessionmaker[Session], lease: Lease, result: Transcription
) -> Result:
    now = utcnow()
    with sessions() as session:
        done = leases.write(
            session,
            lease,
            state=VoicemailState.TRANSCRIBED,
            transcribed_at=now,
            last_error=None,
            **leases.RELEASED,
        )
        if not done:
            session.rollback()
            return Result(VoicemailState.FETCHED)
        session.add(
            Transcript(
                voicemail_id=lease.voicemail_id,
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
        voicemail = session.get(Voicemail, lease.voicemail_id)
        assert voicemail is not None
        station = session.get(Station, voicemail.station_id) if voicemail.station_id else None
        _tag_ticket(session, voicemail, station, result.raw_text)
        session.commit()
    return Result(VoicemailState.TRANSCRIBED)


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


def stuck(session: Session, now: datetime, stale: timedelta) -> list[int]:
    """Voicemails whose job was lost: a lease that expired (its holder died), a retry long
    overdue, or no lease and untouched for ``stale`` (the queue lost the job)."""
    unleased = and_(Voicemail.lease_owner.is_(None), Voicemail.retry_at.is_(None))
    return list(
        session.scalars(
            select(Voicemail.id)
            .where(
                Voicemail.state.in_(leases.UNFINISHED),
                or_(
                    Voicemail.lease_expires_at < now,
                    Voicemail.retry_at < now - stale,
                    and_(unleased, Voicemail.updated_at < now - stale),
                ),
            )
            .order_by(Voicemail.id)
            .limit(500)
        )
    )


def mark_requeued(session: Session, voicemail_ids: list[int], now: datetime) -> None:
    """Clear dead leases and overdue retries of voicemails put back on the queue, and touch
    them, so the next sweep leaves them alone while their jobs wait."""
    session.execute(
        update(Voicemail)
        .where(
            Voicemail.id.in_(voicemail_ids),
            Voicemail.lease_expires_at.is_(None) | (Voicemail.lease_expires_at < now),
        )
        .values(lease_owner=None, lease_expires_at=None, retry_at=None, updated_at=now)
        .execution_options(synchronize_session=False)
    )
