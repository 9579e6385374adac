"""Enforcing retention: recordings and transcripts of closed cases, and the personal
details of residents not heard from, are removed once their period has passed.

Nothing an unresolved ticket still needs is touched: a voicemail on an open ticket keeps
its recording and transcript, and a caller with an open ticket keeps name, notes and
flags. Each removal is a conditional UPDATE that re-checks this, so a ticket reopened
while the run works keeps what it has. Files are unlinked after the commit that stopped
pointing at them. Statistics do not change: the rows (calls, voicemails, tickets) stay.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, exists, func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from ivr.config import Config
from ivr.privacy.policies import Resolver
from ivr.storage import Storage, storage_for
from models import (
    AuditLog,
    Call,
    Caller,
    CallerVulnerability,
    Station,
    Ticket,
    TicketStatus,
    Transcript,
    TranscriptCorrection,
    Voicemail,
    VoicemailState,
    utcnow,
)

log = logging.getLogger(__name__)
FINAL_STATES = (VoicemailState.TRANSCRIBED, VoicemailState.NO_AUDIO, VoicemailState.FAILED)
UNASSIGNED = "-"  # calls to numbers no station owns follow the city's periods


@dataclass
class RetentionReport:
    dry_run: bool
    recordings: Counter[str] = field(default_factory=Counter)  # by station code
    transcripts: Counter[str] = field(default_factory=Counter)
    callers: Counter[str] = field(default_factory=Counter)
    twilio_deleted: int = 0

    def stations(self) -> list[str]:
        return sorted(set(self.recordings) | set(self.transcripts) | set(self.callers))

    def as_dict(self) -> dict[str, Any]:
        return {
            "dry_run": self.dry_run,
            "totals": {
                "recordings": sum(self.recordings.values()),
                "transcripts": sum(self.transcripts.values()),
                "callers": sum(self.callers.values()),
                "twilio_deleted": self.twilio_deleted,
            },
            "stations": {
                code: [self.recordings[code], self.transcripts[code], self.callers[code]]
                for code in self.stations()
            },
        }

    def summary(self) -> str:
        t = self.as_dict()["totals"]
        return (
            f"recordings {t['recordings']}, transcripts {t['transcripts']}, "
            f"callers {t['callers']}, Twilio copies {t['twilio_deleted']}"
        )


class _Periods:
    """Each station's cutoffs (now minus its periods), by station id; None: unassigned."""

    def __init__(self, session: Session, config: Config, now: datetime) -> None:
        resolver = Resolver(session, config)
        self.codes: dict[int | None, str] = {None: UNASSIGNED}
        self.cutoffs: dict[int | None, dict[str, datetime]] = {}
        city = resolver.effective(None, None)
        self.cutoffs[None] = {k: now - timedelta(days=city.days(k)) for k in _kinds()}
        for station_id, code, district_id in session.execute(
            select(Station.id, Station.code, Station.district_id)
        ):
            periods = resolver.effective(district_id, station_id)
            self.codes[station_id] = code
            self.cutoffs[station_id] = {k: now - timedelta(days=periods.days(k)) for k in _kinds()}

    def latest(self, kind: str) -> datetime:
        return max(c[kind] for c in self.cutoffs.values())

    def passed(self, station_id: int | None, kind: str, when: datetime | None) -> bool:
        cutoffs = self.cutoffs.get(station_id, self.cutoffs[None])
        return when is not None and when < cutoffs[kind]


def _batches(ids: list[int], size: int = 500) -> list[list[int]]:
    """Short transactions and bounded IN lists, however much is due."""
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _kinds() -> tuple[str, ...]:
    return ("recordings_days", "transcripts_days", "caller_details_days")


def _case_closed() -> Any:
    """The voicemail has no ticket, or its ticket is resolved (SQL, re-checked on write)."""
    resolved = select(Ticket.id).where(Ticket.status == TicketStatus.RESOLVED)
    return or_(Voicemail.ticket_id.is_(None), Voicemail.ticket_id.in_(resolved))


def _closed_voicemails(session: Session, periods: _Periods, kind: str, extra: Any) -> list[Any]:
    """Voicemails in a final state whose case closed before their station's cutoff."""
    closed_at = func.coalesce(Ticket.resolved_at, Voicemail.created_at)
    rows = session.execute(
        select(Voicemail.id, Voicemail.station_id, Voicemail.storage_path, closed_at)
        .outerjoin(Ticket, Ticket.id == Voicemail.ticket_id)
        .where(
            Voicemail.state.in_(FINAL_STATES),
            _case_closed(),
            closed_at < periods.latest(kind),
            extra,
        )
        .order_by(Voicemail.id)
    ).all()
    return [row for row in rows if periods.passed(row[1], kind, row[3])]


def _purge_recordings(
    sessions: sessionmaker[Session],
    config: Config,
    storage: Storage,
    report: RetentionReport,
    now: datetime,
) -> None:
    with sessions() as session:
        periods = _Periods(session, config, now)
        rows = _closed_voicemails(
            session, periods, "recordings_days", Voicemail.storage_path.is_not(None)
        )
        if report.dry_run:
            report.recordings.update(periods.codes.get(r[1], UNASSIGNED) for r in rows)
            return
        paths = {r[0]: (r[1], r[2]) for r in rows}
        for batch in _batches(list(paths)):
            done = session.scalars(
                update(Voicemail)
                .where(
                    Voicemail.id.in_(batch),
                    Voicemail.storage_path.is_not(None),
                    _case_closed(),
                )
                .values(storage_path=None, purged_at=now)
                .returning(Voicemail.id)
                .execution_options(synchronize_session=False)
            ).all()
            session.commit()
            for voicemail_id in done:  # nothing points at these files any more
                station_id, relative = paths[voicemail_id]
                storage.remove(relative)
                report.recordings[periods.codes.get(station_id, UNASSIGNED)] += 1


def _blank_transcripts(
    sessions: sessionmaker[Session], config: Config, report: RetentionReport, now: datetime
) -> None:
    with sessions() as session:
        periods = _Periods(session, config, now)
        unblanked = select(Transcript.voicemail_id).where(Transcript.blanked_at.is_(None))
        rows = _closed_voicemails(session, periods, "transcripts_days", Voicemail.id.in_(unblanked))
        stations = {r[0]: r[1] for r in rows}
        if report.dry_run or not stations:
            report.transcripts.update(periods.codes.get(s, UNASSIGNED) for s in stations.values())
            return
        for batch in _batches(list(stations)):
            closed = select(Voicemail.id).where(Voicemail.id.in_(batch), _case_closed())
            done = session.scalars(
                update(Transcript)
                .where(Transcript.voicemail_id.in_(closed), Transcript.blanked_at.is_(None))
                .values(text="", raw_text="", words=[], blanked_at=now)
                .returning(Transcript.voicemail_id)
                .execution_options(synchronize_session=False)
            ).all()
            # People's corrections go with the machine's text (their error counts stay).
            session.execute(
                update(TranscriptCorrection)
                .where(
                    TranscriptCorrection.transcript_id.in_(
                        select(Transcript.id).where(Transcript.voicemail_id.in_(list(done)))
                    ),
                    TranscriptCorrection.blanked_at.is_(None),
                )
                .values(text="", words=[], blanked_at=now)
                .execution_options(synchronize_session=False)
            )
            session.commit()
            report.transcripts.update(periods.codes.get(stations[v], UNASSIGNED) for v in done)


def _open_ticket_of_caller() -> Any:
    return exists().where(Ticket.caller_id == Caller.id, Ticket.status != TicketStatus.RESOLVED)


def _purge_callers(
    sessions: sessionmaker[Session], config: Config, report: RetentionReport, now: datetime
) -> None:
    last_call = select(func.max(Call.started_at)).where(Call.caller_id == Caller.id)
    last_case = select(func.max(func.coalesce(Ticket.resolved_at, Ticket.opened_at))).where(
        Ticket.caller_id == Caller.id
    )
    latest_station = (
        select(Ticket.station_id)
        .where(Ticket.caller_id == Caller.id)
        .order_by(Ticket.opened_at.desc())
        .limit(1)
    )
    has_flags = exists().where(CallerVulnerability.caller_id == Caller.id)
    with sessions() as session:
        periods = _Periods(session, config, now)
        rows = session.execute(
            select(
                Caller.id,
                func.coalesce(Caller.home_station_id, latest_station.scalar_subquery()),
                last_call.scalar_subquery(),
                last_case.scalar_subquery(),
                Caller.created_at,
            ).where(
                or_(Caller.name != "", Caller.notes != "", has_flags),
                ~_open_ticket_of_caller(),
            )
        ).all()
        due = {}
        for caller_id, station_id, last_call_at, last_case_at, created_at in rows:
            # The last contact: a call or a case; a caller with neither, their creation.
            contacts = [m for m in (last_call_at, last_case_at) if m is not None]
            last = max(contacts) if contacts else created_at
            if periods.passed(station_id, "caller_details_days", last):
                due[caller_id] = station_id
        if report.dry_run or not due:
            report.callers.update(periods.codes.get(s, UNASSIGNED) for s in due.values())
            return
        for batch in _batches(list(due)):
            done = session.scalars(
                update(Caller)
                .where(Caller.id.in_(batch), ~_open_ticket_of_caller())
                .values(name="", notes="", details_purged_at=now)
                .returning(Caller.id)
                .execution_options(synchronize_session=False)
            ).all()
            if done:
                session.execute(
                    delete(CallerVulnerability).where(CallerVulnerability.caller_id.in_(done))
                )
            session.commit()
            report.callers.update(periods.codes.get(due[c], UNASSIGNED) for c in done)


def enforce_retention(
    sessions: sessionmaker[Session],
    config: Config,
    dry_run: bool = False,
    now: datetime | None = None,
    twilio_http_client: Any = None,
    *,
    storage: Storage | None = None,
) -> RetentionReport:
    """Remove what every station's periods say is due (or, ``dry_run``, only count it);
    then retry deleting Twilio's copies not yet known deleted. Audited unless a dry run."""
    now = now or utcnow()
    report = RetentionReport(dry_run=dry_run)
    _purge_recordings(sessions, config, storage or storage_for(config, sessions), report, now)
    _blank_transcripts(sessions, config, report, now)
    _purge_callers(sessions, config, report, now)
    if not dry_run and config.delete_recordings_after_fetch:
        report.twilio_deleted = _retry_twilio_deletions(sessions, config, twilio_http_client)
    if not dry_run:
        with sessions() as session:
            session.add(
                AuditLog(
                    at=utcnow(),
                    action="privacy.retention",
                    object_type="retention",
                    object_id=now.date().isoformat(),
                    detail=report.as_dict(),
                )
            )
            session.commit()
    log.info("retention%s: %s", " (dry run)" if dry_run else "", report.summary())
    return report


def _retry_twilio_deletions(
    sessions: sessionmaker[Session], config: Config, http_client: Any
) -> int:
    from ivr.privacy.twilio_copy import delete_twilio_copy, pending_deletions

    with sessions() as session:
        ids = pending_deletions(session)
    auth = (config.twilio_account_sid, config.twilio_auth_token)
    deleted = 0
    for voicemail_id in ids:
        if delete_twilio_copy(sessions, auth, voicemail_id, http_client):
            deleted += 1
        else:
            break  # Twilio or the network is not answering: tomorrow's run goes on
    return deleted
