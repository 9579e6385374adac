"""Ring a resident back from the station's hotline number, once, into the chosen part of
the menu (the call-back node's ``next``).

The job claims the request (pending → calling) in a short transaction of its own; only
the job whose update changed the row calls Twilio, with no transaction open, and the
outbound call's sid is stored after. If Twilio refuses or does not answer, the reason is
recorded on the row and a call-back ticket opened, so the resident is not lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from ivr.calls.callbacks import callback_ticket
from ivr.config import Config
from models import CallbackRequest, CallbackState, Station, utcnow

RING_TIMEOUT = 30  # seconds the resident's phone rings
# A request still pending this long lost its job (the queue was down, or lost it): rung by
# the periodic pass; one pending longer than LATE is not rung out of the blue but ticketed.
LOST_AFTER = timedelta(minutes=1)
LATE = timedelta(hours=1)
UNANSWERED = frozenset({"busy", "no-answer", "failed", "canceled"})


def entry_url(config: Config, request_id: int) -> str:
    """Where the outbound call's TwiML comes from: the menu, at the node asked for."""
    return f"{config.public_url}/twilio/ring-back?{urlencode({'c': request_id})}"


def status_url(config: Config, request_id: int) -> str:
    return f"{config.public_url}/twilio/ring-back-status?{urlencode({'c': request_id})}"


def unanswered(session: Session, request_id: int, status: str, now: datetime) -> bool:
    """The resident did not take the call back (``status``): a call-back ticket, once."""
    request = session.get(CallbackRequest, request_id)
    if request is None or status not in UNANSWERED or request.ticket_id is not None:
        return False
    ticket = callback_ticket(
        session,
        request.station_id,
        request.caller_number,
        now,
        call_sid=request.call_sid,
        ring_back_status=status,
    )
    request.ticket_id, request.last_error = ticket.id, f"call back {status}"
    return True


def claim(session: Session, request_id: int, now: datetime) -> bool:
    """Take the request for this job; False if another job has (or had) it."""
    taken = session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request_id, CallbackRequest.state == CallbackState.PENDING)
        .values(
            state=CallbackState.CALLING,
            claimed_at=now,
            attempts=CallbackRequest.attempts + 1,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1  # type: ignore[attr-defined]


def ring_back(
    sessions: sessionmaker[Session], config: Config, http_client: Any, request_id: int
) -> str:
    """Place the call back for request ``request_id`` if this job claims it; its state."""
    now = utcnow()
    with sessions() as session:
        request = session.get(CallbackRequest, request_id)
        if request is None:
            return "missing"
        if not claim(session, request_id, now):
            session.rollback()
            return request.state.value
        station = session.get(Station, request.station_id)
        numbers = station.hotline_numbers if station is not None else []
        to, from_ = request.caller_number, numbers[0].number if numbers else ""
        session.commit()
    if not from_:
        return _failed(sessions, request_id, "no hotline number to ring from", None)
    if not (config.twilio_account_sid and config.twilio_auth_token):
        return _failed(sessions, request_id, "Twilio not configured", None)
    client = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http_client)
    try:
        call = client.calls.create(
            to=to,
            from_=from_,
            url=entry_url(config, request_id),
            method="POST",
            status_callback=status_url(config, request_id),
            status_callback_method="POST",
            timeout=RING_TIMEOUT,
        )
    except (TwilioException, OSError) as exc:
        code = exc.code if isinstance(exc, TwilioRestException) else None
        return _failed(sessions, request_id, str(exc)[:500] or type(exc).__name__, code)
    with sessions() as session:
        _finish(
            session, request_id, state=CallbackState.PLACED, sid=str(call.sid), placed_at=utcnow()
        )
        session.commit()
    return CallbackState.PLACED.value


def _failed(sessions: sessionmaker[Session], request_id: int, reason: str, code: int | None) -> str:
    """Twilio would not ring (or could not be asked): say why, and open a ticket."""
    with sessions() as session:
        request = session.get(CallbackRequest, request_id)
        assert request is not None, "claimed a moment ago"
        ticket = callback_ticket(
            session,
            request.station_id,
            request.caller_number,
            utcnow(),
            call_sid=request.call_sid,
            ring_back_failed=reason[:200],
        )
        _finish(
            session,
            request_id,
            state=CallbackState.FAILED,
            last_error=reason,
            error_code=code,
            ticket_id=ticket.id,
        )
        session.commit()
    return CallbackState.FAILED.value


def _finish(session: Session, request_id: int, **values: Any) -> None:
    session.execute(
        update(CallbackRequest)
        .where(CallbackRequest.id == request_id)
        .values(updated_at=utcnow(), **values)
        .execution_options(synchronize_session=False)
    )


def ring_lost(
    sessions: sessionmaker[Session], config: Config, http_client: Any, now: datetime
) -> int:
    """Requests whose job never ran: rung now (each is claimed first, so a job that runs
    after all rings nobody twice), or, an hour late, a call-back ticket instead."""
    with sessions() as session:
        rows = session.execute(
            select(CallbackRequest.id, CallbackRequest.created_at).where(
                CallbackRequest.state == CallbackState.PENDING,
                CallbackRequest.created_at < now - LOST_AFTER,
            )
        ).all()
        late = [r.id for r in rows if r.created_at < now - LATE]
        on_time = [r.id for r in rows if r.created_at >= now - LATE]
        for request_id in late:
            if claim(session, request_id, now):
                session.commit()
                _failed(sessions, request_id, "not rung back within an hour", None)
        session.commit()
    for request_id in on_time:
        ring_back(sessions, config, http_client, request_id)
    return len(rows)
