"""The call log: one Call per CallSid, an event per step, idempotent under retries.

Twilio retries webhooks and may deliver status callbacks before, after or between the
steps; every function here may be called twice with the same input and any order.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.calls import steps
from ivr.calls.steps import OUTCOME_RANK
from ivr.menus.engine import CallContext
from ivr.menus.hours import OpeningHours
from ivr.stations.directory import StationFacts, Stations
from models import Call, Caller, CallOutcome, Station, utcnow

FINAL_STATUSES = frozenset({"completed", "busy", "failed", "no-answer", "canceled"})
STATUS_RANK = {"queued": 0, "initiated": 0, "ringing": 1, "in-progress": 2, "answered": 2}


def caller_for_number(session: Session, number: str) -> Caller | None:
    """The resident behind ``From``, created on first call; None for withheld numbers.

    Twilio's withheld placeholders (``+266696687`` …) look like numbers but stand for many
    different people: a Caller for one would join strangers' calls into one history.
    """
    caller_id = steps.caller_id_for(session.connection(), number, utcnow())
    return session.get(Caller, caller_id) if caller_id is not None else None


def get_call(session: Session, call_sid: str) -> Call | None:
    return session.scalar(select(Call).where(Call.call_sid == call_sid))


def get_or_create_call(
    session: Session,
    stations: Stations,
    call_sid: str,
    from_number: str,
    to_number: str,
    now: datetime,
) -> tuple[Call, bool]:
    """The Call for ``call_sid`` (to change through the ORM) and whether this request
    created it. The webhooks' own steps use :mod:`ivr.calls.steps` directly."""
    arrival = steps.Arrival(call_sid, from_number, to_number, now)
    row, created = steps.find_or_open_call(session.connection(), stations, session, arrival)
    call = session.get(Call, row.id)
    assert call is not None
    return call, created


def raise_outcome(call: Call, outcome: CallOutcome) -> None:
    if OUTCOME_RANK[outcome] > OUTCOME_RANK[call.outcome]:
        call.outcome = outcome


def log_events(
    session: Session, call: Call, request_key: str, events: list[dict], now: datetime
) -> None:
    """Add this request's events once: a retried request (same key) adds nothing.

    Each event carries ``kind`` and optional ``node``, ``digits`` and ``detail``.
    """
    session.flush()  # the ORM's pending changes to the call come first
    steps.log_events(session.connection(), call.id, request_key, events, now)


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
        return no_station_context(hotline_number, now)
    return StationFacts.of(station).context(hotline_number, now)


def no_station_context(hotline_number: str, now: datetime) -> CallContext:
    return CallContext({}, hotline_number, (), OpeningHours(), now)
