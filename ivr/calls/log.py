"""The call log: one Call per CallSid, an event per step, idempotent under retries.

Twilio retries webhooks and may deliver status callbacks before, after or between the
steps; every function here may be called twice with the same input and any order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.menus.engine import CallContext
from ivr.menus.hours import HoursInvalid, OpeningHours
from ivr.phone import identifies_caller, is_e164
from models import (
    Call,
    CallDirection,
    Caller,
    CallEvent,
    CallOutcome,
    HotlineNumber,
    Station,
    utcnow,
)
from models.db import insert_if_absent

FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
STATUS_RANK = {"queued": 0, "initiated": 0, "ringing": 1, "in-progress": 2, "answered": 2}
# An outcome only ever moves up this ladder: a retried or late callback cannot undo one.
OUTCOME_RANK = {
    CallOutcome.IN_PROGRESS: 0,
    CallOutcome.ABANDONED: 1,
    CallOutcome.COMPLETED: 2,
    CallOutcome.TRANSFERRED: 3,
    CallOutcome.VOICEMAIL: 4,
    CallOutcome.ANSWERED: 5,
}


def station_for_number(session: Session, number: str) -> Station | None:
    """The station a dialled number (``To``) rings, if any."""
    return session.scalar(select(Station).join(HotlineNumber).where(HotlineNumber.number == number))


def caller_for_number(session: Session, number: str) -> Caller | None:
    """The resident behind ``From``, created on first call; None for withheld numbers.

    Twilio's withheld placeholders (``+266696687`` …) look like numbers but stand for many
    different people: a Caller for one would join strangers' calls into one history.
    """
    if not identifies_caller(number):
        return None
    query = select(Caller).where(Caller.phone_number == number)
    caller = session.scalar(query)
    if caller is not None:
        return caller
    now = utcnow()
    insert_if_absent(
        session,
        Caller,
        {"phone_number": number, "name": "", "notes": "", "created_at": now, "updated_at": now},
        ["phone_number"],
    )
    return session.scalars(query).one()


def get_call(session: Session, call_sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.call_sid == call_sid))


def get_or_create_call(
    session: Session, call_sid: str, from_number: str, to_number: str, now: datetime
) -> tuple[Call, bool]:
    """The Call for ``call_sid`` and whether this request created it."""
    call = get_call(session, call_sid)
    if call is not None:
        return call, False
    station = station_for_number(session, to_number)
    caller = caller_for_number(session, from_number)
    values = {
        "call_sid": call_sid,
        "direction": CallDirection.INBOUND.value,
        "from_number": from_number,
        "to_number": to_number,
        "station_id": station.id if station else None,
        "caller_id": caller.id if caller else None,
        "started_at": now,
        "status": "in-progress",
        "outcome": CallOutcome.IN_PROGRESS.value,
        "created_at": now,
        "updated_at": now,
    }
    # The same call may arrive twice at once (a retry racing the original): one wins.
    insert_if_absent(session, Call, values, ["call_sid"])
    call = get_call(session, call_sid)
    assert call is not None
    return call, call.created_at == now


def raise_outcome(call: Call, outcome: CallOutcome) -> None:
    if OUTCOME_RANK[outcome] > OUTCOME_RANK[call.outcome]:
        call.outcome = outcome


def log_events(
    session: Session, call: Call, request_key: str, events: list[dict], now: datetime
) -> None:
    """Add this request's events once: a retried request (same key) adds nothing.

    Each event carries ``kind`` and optional ``node``, ``digits`` and ``detail``.
    """
    for index, event in enumerate(events):
        values = {
            "call_id": call.id,
            "at": now,
            "kind": event["kind"],
            "node": event.get("node"),
            "digits": event.get("digits"),
            "detail": event.get("detail", {}),
            "dedupe_key": f"{request_key}:{index}",
        }
        insert_if_absent(session, CallEvent, values, ["call_id", "dedupe_key"])


def apply_status(
    call: Call, status: str, duration: str | None, now: datetime, timestamp: datetime | None
) -> bool:
    """Record a status callback; True when it ended the call just now."""
    if call.status in FINAL_STATUSES:
        return False  # final statuses are sticky; a late "ringing" changes nothing
    if status not in FINAL_STATUSES:
        if STATUS_RANK.get(status, -1) > STATUS_RANK.get(call.status, -1):
            call.status = status
        return False
    call.status = status
    try:
        call.duration_seconds = max(0, int(duration)) if duration else None
    except ValueError:
        call.duration_seconds = None
    ended = timestamp or now
    call.ended_at = ended
    if call.duration_seconds is not None:
        call.started_at = min(call.started_at, ended - timedelta(seconds=call.duration_seconds))
    return True


def call_context(station: Station | None, hotline_number: str, now: datetime) -> CallContext:
    """The engine's view of a station (or of no station, for unknown numbers)."""
    if station is None:
        return CallContext({}, hotline_number, (), OpeningHours(), now)
    try:
        hours = OpeningHours.from_settings(
            station.timezone, station.twenty_four_hours, station.opening_hours, station.holidays
        )
    except HoursInvalid:
        hours = OpeningHours(station.timezone)  # bad settings must not close a hotline
    names = {
        "zh": station.name_zh,
        "yue": station.name_zh,
        "en": station.name_en or station.name_zh,
    }
    phones = tuple(p.number for p in station.on_duty_phones if p.active)
    # Caller ID must be a number we own: the one dialled, or the station's first.
    if not is_e164(hotline_number):
        hotline_number = station.hotline_numbers[0].number if station.hotline_numbers else ""
    number = hotline_number
    return CallContext(names, number, phones, hours, now)
