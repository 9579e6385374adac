"""Call-back requests from the menu's call-back node, decided inside the call's step.

"Press 1 and hang up; we will call you back": the step writes one row per request (the
inbound call's sid is its idempotency key, so a retried webhook adds nothing) and the
webhook queues the ring-back job after its commit (``ivr.calls.ring_back``). A number
that is withheld cannot be rung; one over the node's hourly limit is refused (logged);
when the station is closed the request becomes a call-back ticket instead of a call.
"""

from __future__ import annotations

import enum
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ivr.menus.engine import CallBack
from ivr.phone import identifies_caller
from ivr.tickets.cases import open_or_merge_ticket
from models import CallbackRequest, CallbackState, Caller, Station, Ticket, TicketSource

log = logging.getLogger(__name__)

LIMIT_WINDOW = timedelta(hours=1)


class CallbackOutcome(enum.Enum):
    RING = "ring"  # a row to ring back, queued after the commit
    TICKET = "ticket"  # closed: a call-back ticket for the workers' queue
    OVER_LIMIT = "over_limit"  # too many requests from this number this hour
    WITHHELD = "withheld"  # no number to ring: the caller is offered a voicemail


@dataclass(frozen=True)
class Requested:
    outcome: CallbackOutcome
    request_id: int | None = None


def idempotency_key(call_sid: str) -> str:
    return f"callback:{call_sid}"


def request_callback(
    session: Session,
    station_id: int | None,
    call_sid: str,
    number: str,
    action: CallBack,
    language: str,
    now: datetime,
) -> Requested:
    """Decide and record what becomes of a call-back request, in the caller's transaction."""
    if station_id is None or not identifies_caller(number):
        return Requested(CallbackOutcome.WITHHELD)
    key = idempotency_key(call_sid)
    known = session.execute(
        select(CallbackRequest.id, CallbackRequest.state).where(
            CallbackRequest.idempotency_key == key
        )
    ).first()
    if known is not None:  # Twilio retried this webhook: the same answer, nothing new
        ticketed = known.state is CallbackState.TICKETED
        return Requested(CallbackOutcome.TICKET if ticketed else CallbackOutcome.RING, known.id)
    if requests_this_hour(session, station_id, number, now) >= action.limit:
        log.info("call-back refused: %s asked more than %d times an hour", number, action.limit)
        return Requested(CallbackOutcome.OVER_LIMIT)
    ticket = None if action.line_open else _ticket(session, station_id, number, call_sid, now)
    values = {
        "station_id": station_id,
        "call_sid": call_sid,
        "caller_number": number,
        "node": action.enter,
        "language": language,
        "idempotency_key": key,
        "state": CallbackState.PENDING if ticket is None else CallbackState.TICKETED,
        "attempts": 0,
        "requested_at": now,
        "ticket_id": ticket.id if ticket is not None else None,
        "created_at": now,
        "updated_at": now,
    }
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    inserted = session.execute(
        dialect.insert(CallbackRequest)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["idempotency_key"])
        .returning(CallbackRequest.id)
    ).first()
    request_id = inserted[0] if inserted is not None else None
    if ticket is not None:
        return Requested(CallbackOutcome.TICKET, request_id)
    return Requested(CallbackOutcome.RING, request_id)


def requests_this_hour(session: Session, station_id: int, number: str, now: datetime) -> int:
    return (
        session.scalar(
            select(func.count(CallbackRequest.id)).where(
                CallbackRequest.caller_number == number,
                CallbackRequest.station_id == station_id,
                CallbackRequest.requested_at > now - LIMIT_WINDOW,
            )
        )
        or 0
    )


def _ticket(session: Session, station_id: int, number: str, call_sid: str, now: datetime) -> Ticket:
    return callback_ticket(session, station_id, number, now, call_sid=call_sid, line="closed")


def callback_ticket(
    session: Session, station_id: int, number: str, now: datetime, **data: object
) -> Ticket:
    """The resident asked to be called back and the hotline could not ring them itself:
    a ticket (or the open one, added to) so that a worker does."""
    caller = session.scalar(select(Caller).where(Caller.phone_number == number))
    ticket = open_or_merge_ticket(
        session,
        station=session.get(Station, station_id),
        caller=caller,
        caller_number=number,
        source=TicketSource.CALLBACK,
        tags=["callback"],
        now=now,
        data={"callback": True, **data},
    )
    session.flush()
    return ticket
