"""Call-back tickets: opening a case, or adding to the caller's open one.

Webhooks (abandoned calls), voicemail jobs and worker pages all go through here, so a
resident who calls three times is one case holding every recording.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.phone import is_withheld
from ivr.tickets.tags import get_tags
from models import (
    Caller,
    Priority,
    Station,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketSource,
    TicketStatus,
)

DEFAULT_SLA_MINUTES = {Priority.URGENT: 60, Priority.HIGH: 60, Priority.NORMAL: 24 * 60}


def priority_from_name(name: str | None) -> Priority:
    try:
        return Priority[(name or "normal").upper()]
    except KeyError:
        return Priority.NORMAL


def sla_minutes(station: Station | None, priority: Priority) -> int:
    """How long a ticket of ``priority`` may wait for a call back at ``station``."""
    if station is None:
        return DEFAULT_SLA_MINUTES.get(priority, 24 * 60)
    if priority <= Priority.HIGH:
        return station.sla_urgent_minutes
    return station.sla_normal_minutes


def _open_ticket(session: Session, station_id: int | None, caller: Caller | None, number: str):  # type: ignore[no-untyped-def]
    query = select(Ticket).where(
        Ticket.status != TicketStatus.RESOLVED,
        Ticket.station_id.is_(None) if station_id is None else Ticket.station_id == station_id,
    )
    if caller is not None:
        query = query.where(Ticket.caller_id == caller.id)
    elif not is_withheld(number):
        # No Caller row, but a usable identity (a SIP or client address, say).
        query = query.where(Ticket.caller_number == number)
    else:
        # An anonymous caller (no number, or Twilio's withheld placeholder, which every
        # such caller shares): every call is a case of its own.
        return None
    return session.scalars(query.order_by(Ticket.id).limit(1)).first()


def open_or_merge_ticket(
    session: Session,
    *,
    station: Station | None,
    caller: Caller | None,
    caller_number: str,
    source: TicketSource,
    tags: list[str] | tuple[str, ...] = (),
    priority: Priority = Priority.NORMAL,
    now: datetime,
    note: str = "",
    data: dict | None = None,
) -> Ticket:
    """The caller's open ticket at ``station`` with this contact added, or a new one.

    Merging raises the priority and brings the due time forward, never the reverse.
    The caller commits.
    """
    station_id = station.id if station is not None else None
    if caller is not None and is_withheld(caller.phone_number):
        caller = None  # a Caller made for a placeholder before they were recognised
    due = now + timedelta(minutes=sla_minutes(station, priority))
    event_data = {"source": source.value, **(data or {})}
    for _attempt in range(2):
        ticket = _open_ticket(session, station_id, caller, caller_number)
        if ticket is not None:
            _merge(session, ticket, tags, priority, due, note, event_data)
            return ticket
        try:
            # Two webhooks for one caller at once: the partial unique index lets one win,
            # and the loser merges into the winner's ticket on the second pass.
            with session.begin_nested():
                ticket = _create(session, station_id, caller, caller_number, source, due, now)
                ticket.priority = int(priority)
                ticket.tags = get_tags(session, tags)
                session.add(
                    TicketEvent(
                        ticket=ticket,
                        kind=TicketEventKind.OPENED,
                        station_id=station_id,
                        note=note,
                        data={**event_data, "tags": list(tags), "priority": priority.name.lower()},
                    )
                )
            return ticket
        except IntegrityError:
            continue
    raise RuntimeError("could not open or merge a ticket")  # pragma: no cover


def _create(session, station_id, caller, caller_number, source, due, now) -> Ticket:  # type: ignore[no-untyped-def]
    ticket = Ticket(
        station_id=station_id,
        caller_id=caller.id if caller is not None else None,
        caller_number=caller_number,
        source=source,
        due_at=due,
        opened_at=now,
    )
    session.add(ticket)
    session.flush()
    return ticket


def _merge(session, ticket: Ticket, tags, priority: Priority, due, note, data) -> None:  # type: ignore[no-untyped-def]
    kind = (
        TicketEventKind.VOICEMAIL_ADDED
        if data.get("source") == TicketSource.VOICEMAIL.value
        else TicketEventKind.MERGED
    )
    update_ticket(
        session, ticket, kind, tags=tags, priority=priority, due=due, note=note, data=data
    )


def update_ticket(
    session: Session,
    ticket: Ticket,
    kind: TicketEventKind,
    *,
    tags: list[str] | tuple[str, ...] = (),
    priority: Priority | None = None,
    due: datetime | None = None,
    note: str = "",
    data: dict | None = None,
) -> TicketEvent:
    """Add tags, raise priority, bring the due time forward, and record it in the trail."""
    new_tags = [t for t in get_tags(session, tags) if t not in ticket.tags]
    ticket.tags.extend(new_tags)
    changes: dict = {"tags_added": [t.code for t in new_tags]}
    if priority is not None and int(priority) < ticket.priority:
        changes["priority"] = [Priority(ticket.priority).name.lower(), priority.name.lower()]
        ticket.priority = int(priority)
    if due is not None and due < ticket.due_at:
        ticket.due_at = due
    event = TicketEvent(
        ticket=ticket,
        kind=kind,
        station_id=ticket.station_id,
        note=note,
        data={**(data or {}), **changes},
    )
    session.add(event)
    return event
