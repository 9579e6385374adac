"""The demo's block list: one abusive number on 南洲街's list, with the call it made since
(logged ``blocked``, no ticket), and the urgent ticket it left before it was blocked (it
chose emotional support and hung up; a worker marked it urgent), so the ticket page shows
the warning a worker calling back would see."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.tickets.tags import get_tags
from models import (
    BlockedNumber,
    Call,
    CallDirection,
    Caller,
    CallEvent,
    CallOutcome,
    Priority,
    Station,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketSource,
    TicketStatus,
    User,
)

BLOCKED_NUMBER = "+8613500000666"
STATION = "haizhu-nanzhou"
BLOCKED_CALL_SID = "CAdemoblocked" + "0" * 21


def add_block_list_demo(session: Session, now: datetime) -> str:
    """Safe to repeat: does nothing once the demo's blocked call is there."""
    station = session.scalar(select(Station).where(Station.code == STATION))
    if station is None:
        return "block list: no demo station"
    if session.scalar(select(Call.id).where(Call.call_sid == BLOCKED_CALL_SID)):
        return f"block list: {BLOCKED_NUMBER} already blocked at {STATION}"
    admin = session.scalar(select(User).where(User.username == "nanzhou-admin"))
    caller = session.scalar(select(Caller).where(Caller.phone_number == BLOCKED_NUMBER))
    if caller is None:
        caller = Caller(phone_number=BLOCKED_NUMBER, name="", notes="")
        session.add(caller)
        session.flush()
    opened = now - timedelta(days=5)
    hotline = station.hotline_numbers[0].number if station.hotline_numbers else ""
    earlier = _call(station.id, caller.id, hotline, opened, CallOutcome.ABANDONED, 1)
    earlier.chosen_need, earlier.last_node = "emotional", "vm_emotional"
    session.add(earlier)
    ticket = Ticket(
        station_id=station.id,
        caller_id=caller.id,
        caller_number=BLOCKED_NUMBER,
        source=TicketSource.ABANDONED,
        priority=int(Priority.URGENT),
        status=TicketStatus.OPEN,
        opened_at=opened,
        due_at=opened + timedelta(hours=1),
        first_callback_at=opened + timedelta(minutes=40),
    )
    ticket.tags = list(get_tags(session, ["urgent", "emotional", "abandoned"]))
    ticket.events = [
        TicketEvent(at=opened, kind=TicketEventKind.OPENED, data={"source": "abandoned"}),
    ]
    session.add(ticket)
    session.add(
        BlockedNumber(
            station_id=station.id,
            number=BLOCKED_NUMBER,
            reason="多次来电辱骂值班社工",
            expires_at=now + timedelta(days=30),
            created_by_id=admin.id if admin is not None else None,
            created_at=now - timedelta(days=2),
        )
    )
    called = now - timedelta(hours=20)
    call = _call(station.id, caller.id, hotline, called, CallOutcome.BLOCKED, 0)
    call.events = [
        CallEvent(at=called, kind="incoming", detail={"from": BLOCKED_NUMBER, "to": hotline}),
        CallEvent(at=called, kind="blocked", detail={"list": "station"}),
        CallEvent(at=called, kind="status", detail={"status": "completed", "duration": "7"}),
    ]
    session.add(call)
    return f"block list: {BLOCKED_NUMBER} blocked at {STATION}, with a blocked call logged"


def _call(
    station_id: int, caller_id: int, hotline: str, at: datetime, outcome: CallOutcome, serial: int
) -> Call:
    seconds = 7 if outcome is CallOutcome.BLOCKED else 40
    return Call(
        call_sid=f"CAdemoblocked{serial:021d}",
        direction=CallDirection.INBOUND,
        station_id=station_id,
        caller_id=caller_id,
        from_number=BLOCKED_NUMBER,
        to_number=hotline,
        language="zh",
        started_at=at,
        ended_at=at + timedelta(seconds=seconds),
        duration_seconds=seconds,
        status="completed",
        outcome=outcome,
    )
