"""The outbox: one row per message the hotline means to send, moved through its states
here. A row is claimed (queued → sending) in one conditional UPDATE before Twilio is
asked, so of two jobs holding the same id only one sends; the sid is stored after.

What happened shows on the ticket's trail as a ``message`` event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ivr.phone import mask
from models import (
    OutboundMessage,
    OutboundState,
    Ticket,
    TicketEvent,
    TicketEventKind,
    utcnow,
)

SENDABLE = (OutboundState.QUEUED, OutboundState.HELD_QUIET_HOURS)
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(minutes=1)
# A row claimed this long ago and never settled: the job died mid-request. Twilio may
# have sent it, so it is not sent again.
CLAIM_LOST_AFTER = timedelta(minutes=10)
# Trail outcomes, one per state a worker should know of (labels in ivr.console.labels).
OUTCOMES = {
    OutboundState.SENT: "sms_sent",
    OutboundState.HELD_QUIET_HOURS: "sms_held",
    OutboundState.OPTED_OUT: "sms_opted_out",
    OutboundState.FAILED: "sms_failed",
}


@dataclass(frozen=True)
class RestFailure:
    """How Twilio (or the way to it) refused a message."""

    reason: str
    code: int | None = None
    status: int | None = None

    @property
    def unsubscribed(self) -> bool:
        return self.code == 21610

    @property
    def retryable(self) -> bool:
        if self.code == 20429 or self.status == 429:
            return True
        return self.status is None or self.status >= 500  # a timeout, a reset, Twilio down


def due(session: Session, now: datetime, limit: int = 200) -> list[int]:
    """Rows whose time has come: queued ones and nights that ended."""
    return list(
        session.scalars(
            select(OutboundMessage.id)
            .where(OutboundMessage.state.in_(SENDABLE), OutboundMessage.send_after <= now)
            .order_by(OutboundMessage.send_after)
            .limit(limit)
        )
    )


def give_up_lost_claims(session: Session, now: datetime) -> int:
    """Settle rows left ``sending`` by a job that died; the caller commits."""
    lost = list(
        session.scalars(
            select(OutboundMessage).where(
                OutboundMessage.state == OutboundState.SENDING,
                OutboundMessage.claimed_at < now - CLAIM_LOST_AFTER,
            )
        )
    )
    for message in lost:
        settle(
            session,
            message,
            OutboundState.FAILED,
            "outcome unknown: the job stopped mid-send",
            at=now,
        )
    return len(lost)


def claim(session: Session, message_id: int, body: str, now: datetime) -> bool:
    """queued/held → sending, for this job alone; the caller commits at once."""
    won = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id == message_id,
            OutboundMessage.state.in_(SENDABLE),
            OutboundMessage.send_after <= now,
        )
        .values(
            state=OutboundState.SENDING,
            attempts=OutboundMessage.attempts + 1,
            claimed_at=now,
            body=body,
        )
        .returning(OutboundMessage.id)
        .execution_options(synchronize_session=False)
    ).first()
    return won is not None


def settle(
    session: Session,
    message: OutboundMessage,
    state: OutboundState,
    reason: str = "",
    code: int | None = None,
    at: datetime | None = None,
) -> None:
    """Put ``message`` in a state that needs no job now, and tell the ticket's trail.

    The trail's note is the text itself once sent, Twilio's reason when it failed."""
    message.state = state
    message.last_error = reason
    message.error_code = code
    if message.ticket_id is None:
        return
    ticket = session.get(Ticket, message.ticket_id)
    if ticket is None:
        return
    data: dict[str, object] = {
        "message_id": message.id,
        "kind": message.kind,
        "outcome": OUTCOMES[state],
        "to": mask(message.to_number),
        "language": message.language,
    }
    if message.sid:
        data["sid"] = message.sid
    if code is not None:
        data["error_code"] = code
    if state is OutboundState.HELD_QUIET_HOURS:
        data["send_after"] = message.send_after.isoformat()
    notes = {OutboundState.SENT: message.body, OutboundState.FAILED: reason}
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            at=at or utcnow(),
            kind=TicketEventKind.MESSAGE,
            station_id=ticket.station_id,
            note=notes.get(state, ""),
            data=data,
        )
    )


def sent(session: Session, message: OutboundMessage, sid: str, now: datetime) -> None:
    message.sid = sid
    message.sent_at = now
    settle(session, message, OutboundState.SENT, at=now)


def failed(session: Session, message: OutboundMessage, failure: RestFailure, now: datetime) -> None:
    """Record a refusal: retried later if it may pass, else given up."""
    if failure.unsubscribed:
        settle(session, message, OutboundState.OPTED_OUT, failure.reason, failure.code, now)
    elif failure.retryable and message.attempts < MAX_ATTEMPTS:
        message.state = OutboundState.QUEUED
        message.last_error = failure.reason
        message.error_code = failure.code
        message.send_after = now + FIRST_RETRY * 2 ** (message.attempts - 1)
    else:
        settle(session, message, OutboundState.FAILED, failure.reason, failure.code, now)
