"""Erasing a resident: their audio deleted, personal fields emptied, and their number
replaced everywhere by one anonymous token.

The token is a number no phone has (``+999`` is no country's code) shaped like E.164, and
the same token replaces the number in every row, so statistics — person-times counted as
distinct (station, number, day), calls, voicemails, tickets, vulnerable groups served —
stay exactly as they were. Vulnerability flags stay on the anonymous caller for that
reason; name, notes, transcripts, call-back notes and audio go.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.phone import mask
from ivr.privacy.resident import Resident
from ivr.storage import Storage
from models import AuditLog, Caller, OutboundMessage, Referral, StationDayFigures, utcnow

TOKEN_PREFIX = "+999"


class ErasureRefused(Exception):
    """The resident has open tickets: erasing would take what a worker still needs."""

    def __init__(self, ticket_ids: list[int]) -> None:
        super().__init__(f"open tickets {ticket_ids}")
        self.ticket_ids = ticket_ids


@dataclass(frozen=True)
class Erased:
    token: str
    counts: dict[str, int]
    files: list[str]  # stored recordings to unlink once the transaction is committed
    twilio_pending: list[int]  # voicemails whose Twilio copy is not known deleted


def is_anonymous(number: str | None) -> bool:
    return bool(number) and str(number).startswith(TOKEN_PREFIX)


def new_token(session: Session) -> str:
    while True:
        token = TOKEN_PREFIX + "".join(secrets.choice("0123456789") for _ in range(12))
        if session.scalar(select(Caller.id).where(Caller.phone_number == token)) is None:
            return token


def _scrub(value: Any, number: str, token: str) -> Any:
    """``value`` (JSON) with every mention of the number replaced by the token."""
    text = json.dumps(value, ensure_ascii=False)
    if number not in text and number[1:] not in text:
        return value
    return json.loads(text.replace(number, token).replace(number[1:], token[1:]))


def erase(session: Session, resident: Resident, force: bool = False) -> Erased:
    """Anonymise ``resident`` in the session (the caller commits, then unlinks ``files``)."""
    if resident.open_tickets and not force:
        raise ErasureRefused([t.id for t in resident.open_tickets])
    number, now, counts = resident.number, utcnow(), resident.counts()
    caller = resident.caller
    token = new_token(session)
    if caller is not None:
        caller.phone_number, caller.name, caller.notes = token, "", ""
        caller.preferred_language = None
        caller.erased_at = caller.details_purged_at = now
    for call in resident.calls:
        call.from_number = token if call.from_number == number else call.from_number
        call.to_number = token if call.to_number == number else call.to_number
        for event in call.events:
            event.detail = _scrub(event.detail, number, token)
    files, pending = [], []
    for voicemail in resident.voicemails:
        if voicemail.storage_path:
            files.append(voicemail.storage_path)
            voicemail.storage_path = None
            voicemail.purged_at = now
        if voicemail.twilio_deleted_at is None and voicemail.recording_url:
            pending.append(voicemail.id)
        if voicemail.transcript is not None:
            t = voicemail.transcript
            t.text, t.raw_text, t.words, t.blanked_at = "", "", [], now
            for correction in t.corrections:
                correction.text, correction.words, correction.blanked_at = "", [], now
    for ticket in resident.tickets:
        ticket.caller_number = token if ticket.caller_number == number else ticket.caller_number
        for event in ticket.events:
            event.note = ""
            event.data = _scrub(event.data, number, token)
    # A referral's reasons and outcome note are the trail's notes again: they go too.
    ticket_ids = [ticket.id for ticket in resident.tickets]
    for referral in session.scalars(select(Referral).where(Referral.ticket_id.in_(ticket_ids))):
        referral.reason = referral.decline_reason = referral.outcome_note = ""
    # Texts sent to the number lose it and their wording; its opt-out stays (a STOP must
    # still hold if the number rings again).
    for message in session.scalars(
        select(OutboundMessage).where(OutboundMessage.to_number == number)
    ):
        message.to_number, message.body = token, ""
    # Today's rollup remembers which numbers it counted as person-times.
    for figures in session.scalars(
        select(StationDayFigures).where(StationDayFigures.complete.is_(False))
    ):
        if number in (figures.people or []):
            figures.people = [token if p == number else p for p in figures.people]
    return Erased(token, counts, files, pending)


def audit_request(
    session: Session,
    action: str,
    resident: Resident,
    user_id: int | None,
    ip: str | None,
    counts: dict[str, int],
    **detail: Any,
) -> None:
    """One audit row per export or erasure; the number itself is never written there."""
    session.add(
        AuditLog(
            at=utcnow(),
            user_id=user_id,
            action=action,
            object_type="resident",
            object_id=mask(resident.number),
            ip=ip,
            detail={"number": mask(resident.number), **counts, **detail},
        )
    )


def finish(storage: Storage, erased: Erased) -> None:
    """After the commit: the files nothing points at any more."""
    for relative in erased.files:
        storage.remove(relative)
