"""Everything held about one phone number, gathered for a resident's request: their
caller record (name, notes, flags), calls with every step, voicemails with transcripts
and audio files, tickets with their trail. ``export_zip`` writes it as one archive.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass, field
from datetime import datetime
from enum import Enum
from typing import IO, Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from ivr.phone import identifies_caller
from ivr.storage import Storage
from models import Call, Caller, Station, Ticket, TicketStatus, Voicemail, utcnow


class NumberInvalid(ValueError):
    """Not a phone number in E.164 form (+8613812345678)."""


def normalise(raw: str) -> str:
    """The number in E.164; Twilio's placeholders for a withheld number (+266696687 …) are
    refused: they are every caller who hid their number, not one resident."""
    number = "".join(raw.split()).replace("-", "")
    if not identifies_caller(number):
        raise NumberInvalid(raw)
    return number


@dataclass
class Resident:
    number: str
    caller: Caller | None
    calls: list[Call] = field(default_factory=list)
    voicemails: list[Voicemail] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)

    @property
    def open_tickets(self) -> list[Ticket]:
        return [t for t in self.tickets if t.status is not TicketStatus.RESOLVED]

    @property
    def found(self) -> bool:
        return bool(self.caller or self.calls or self.voicemails or self.tickets)

    def counts(self) -> dict[str, int]:
        return {
            "calls": len(self.calls),
            "voicemails": len(self.voicemails),
            "recordings": sum(1 for v in self.voicemails if v.storage_path),
            "tickets": len(self.tickets),
            "open_tickets": len(self.open_tickets),
        }


def gather(session: Session, number: str) -> Resident:
    """Every row that names ``number`` or its caller."""
    caller = session.scalar(select(Caller).where(Caller.phone_number == number))
    caller_id = caller.id if caller else -1
    calls = list(
        session.scalars(
            select(Call)
            .where(
                or_(
                    Call.from_number == number,
                    Call.to_number == number,
                    Call.caller_id == caller_id,
                )
            )
            .order_by(Call.started_at, Call.id)
        )
    )
    call_ids = [c.id for c in calls] or [-1]
    tickets = list(
        session.scalars(
            select(Ticket)
            .where(or_(Ticket.caller_number == number, Ticket.caller_id == caller_id))
            .order_by(Ticket.opened_at, Ticket.id)
        )
    )
    ticket_ids = [t.id for t in tickets] or [-1]
    voicemails = list(
        session.scalars(
            select(Voicemail)
            .where(
                or_(
                    Voicemail.caller_id == caller_id,
                    Voicemail.call_id.in_(call_ids),
                    Voicemail.ticket_id.in_(ticket_ids),
                )
            )
            .order_by(Voicemail.created_at, Voicemail.id)
        )
    )
    return Resident(number, caller, calls, voicemails, tickets)


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def _columns(row: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        c.key: _plain(getattr(row, c.key))
        for c in row.__table__.columns
        if c.key not in skip and not c.key.startswith("lease_")
    }


def as_document(session: Session, resident: Resident) -> dict[str, Any]:
    """The resident's data as JSON-ready dicts; audio files are named, not included."""
    codes = {i: c for i, c in session.execute(select(Station.id, Station.code))}
    caller = None
    if resident.caller is not None:
        caller = _columns(resident.caller)
        caller["flags"] = sorted(f.value for f in resident.caller.flags)
    calls = []
    for call in resident.calls:
        row = _columns(call)
        row["station"] = codes.get(call.station_id)
        row["events"] = [_columns(e, skip=("dedupe_key",)) for e in call.events]
        calls.append(row)
    voicemails = []
    for voicemail in resident.voicemails:
        row = _columns(voicemail, skip=("storage_path",))
        row["station"] = codes.get(voicemail.station_id)
        row["audio"] = f"audio/voicemail-{voicemail.id}.wav" if voicemail.storage_path else None
        transcript = voicemail.transcript
        row["transcript"] = _columns(transcript) if transcript else None
        if transcript is not None:
            row["transcript"]["corrections"] = [_columns(c) for c in transcript.corrections]
        voicemails.append(row)
    tickets = []
    for ticket in resident.tickets:
        row = _columns(ticket)
        row["station"] = codes.get(ticket.station_id)
        row["tags"] = [t.code for t in ticket.tags]
        row["events"] = [_columns(e) for e in ticket.events]
        tickets.append(row)
    return {
        "number": resident.number,
        "exported_at": utcnow().isoformat(),
        "caller": caller,
        "calls": calls,
        "voicemails": voicemails,
        "tickets": tickets,
    }


def export_zip(
    session: Session, resident: Resident, storage: Storage, target: IO[bytes]
) -> dict[str, int]:
    """Write ``resident.json`` and each stored recording (decrypted) into a ZIP on
    ``target``; returns what went in."""
    document = as_document(session, resident)
    audio = 0
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "resident.json", json.dumps(document, ensure_ascii=False, indent=2, default=str)
        )
        for voicemail in resident.voicemails:
            source = storage.open(voicemail.storage_path)
            if source is None:
                continue
            info = zipfile.ZipInfo(f"audio/voicemail-{voicemail.id}.wav")
            info.compress_type = zipfile.ZIP_STORED
            with source, archive.open(info, "w") as out:
                while chunk := source.stream.read(64 * 1024):
                    out.write(chunk)
            audio += 1
    return {**resident.counts(), "audio_files": audio}
