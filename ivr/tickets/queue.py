"""The ticket queue: tickets in a scope, narrowed by filters, urgent and soonest due first.

The console's queue page and the API's ticket list are two views of this one query; the
filters are built from the clauses below, so "overdue" or "urgent" means the same in both.

Two views of a scope: its *queue* (tickets now at its stations: what it must act on) and
what it *referred out* (tickets it handed to a station outside the scope, shown with their
current state). A referral moves a ticket from the sender's queue and counts to the
receiver's, where it is *incoming* until accepted (``ivr.tickets.referrals``); the sender
can still open it (``Scope.tickets_clause``).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true, tuple_, union
from sqlalchemy.orm import joinedload, selectinload

from ivr.tickets.scope import Scope
from models import (
    Priority,
    Referral,
    ReferralState,
    Tag,
    Ticket,
    TicketStatus,
    Transcript,
    Voicemail,
)

ORDER = (Ticket.priority, Ticket.due_at, Ticket.id)  # the keyset cursors follow
QUEUE, REFERRED_OUT, INCOMING = "queue", "referred_out", "incoming"
VIEWS = (QUEUE, REFERRED_OUT, INCOMING)
SEARCH_MAX = 100
PHONE = re.compile(r"^\+?[\d\s()-]+$")
TICKET_NUMBER = re.compile(r"^#\s*(\d{1,9})$")
MIN_PHONE_DIGITS = 3  # fewer is a ticket number; a trigram index needs three characters


def queue_query(
    scope: Scope, *conditions: ColumnElement[bool] | Any, view: str = QUEUE
) -> Select[tuple[Ticket]]:
    """Tickets in ``scope``'s ``view`` meeting ``conditions``, in queue order, with a row's
    details."""
    return (
        select(Ticket)
        .where(in_view(scope, view), *conditions)
        .order_by(*ORDER)
        .options(
            # Many-to-one in the same statement (each round trip costs more than the join);
            # the tags, a collection, in one more.
            joinedload(Ticket.station),
            joinedload(Ticket.caller),
            joinedload(Ticket.referred_from),
            joinedload(Ticket.assignee),
            selectinload(Ticket.tags),
        )
    )


def in_view(scope: Scope, view: str = QUEUE) -> ColumnElement[bool]:
    """The queue: tickets now at a station in scope (the city's includes the unassigned ones).
    Incoming: those of them waiting to be accepted from another station's referral.
    Referred out: tickets referred from a station in scope to one outside it."""
    if view == REFERRED_OUT:
        if scope.is_city:
            return false()  # every station is the city's: nothing leaves its scope
        # One IN over a UNION, not an OR of the two: the database then starts from the few
        # referred tickets (two indexes) instead of filtering every active ticket.
        referred = union(
            select(Ticket.id).where(
                Ticket.referred_from_station_id.is_not(None),
                scope.stations_clause(Ticket.referred_from_station_id),
            ),
            # referred on again by the receiver: still the first sender's to follow
            select(Referral.ticket_id).where(scope.stations_clause(Referral.from_station_id)),
        )
        return and_(
            Ticket.id.in_(referred),
            or_(Ticket.station_id.is_(None), ~scope.stations_clause(Ticket.station_id)),
        )
    here = true() if scope.is_city else scope.stations_clause(Ticket.station_id)
    if view == INCOMING:
        return and_(here, Ticket.id.in_(_pending_referrals()))
    return here


def _pending_referrals() -> Select[tuple[int]]:
    return select(Referral.ticket_id).where(Referral.state == ReferralState.PENDING)


def awaiting_answer(now: datetime | None = None) -> ColumnElement[bool]:
    """Tickets waiting for their receiver to accept or decline (given ``now``: past the
    receiver's time limit for answering)."""
    waiting = _pending_referrals()
    if now is not None:
        waiting = waiting.where(Referral.accept_due_at < now)
    return Ticket.id.in_(waiting)


def active() -> ColumnElement[bool]:
    return Ticket.status != TicketStatus.RESOLVED


def status_is(status: str) -> ColumnElement[bool]:
    return Ticket.status == TicketStatus(status)


def tagged(code: str) -> ColumnElement[bool]:
    return Ticket.tags.any(Tag.code == code)


def urgent(wanted: bool = True) -> ColumnElement[bool]:
    clause = Ticket.priority == int(Priority.URGENT)
    return clause if wanted else ~clause


def overdue(now: datetime, wanted: bool = True) -> ColumnElement[bool]:
    """Not resolved and past due (or, unwanted, the opposite)."""
    if wanted:
        return and_(active(), Ticket.due_at < now)
    return or_(Ticket.status == TicketStatus.RESOLVED, Ticket.due_at >= now)


def unassigned_station() -> ColumnElement[bool]:
    """The city's unassigned queue: calls to a number no station owns."""
    return Ticket.station_id.is_(None)


def opened_between(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    bounds = []
    if start is not None:
        bounds.append(Ticket.opened_at >= start)
    if end is not None:
        bounds.append(Ticket.opened_at < end)
    return bounds


def after(key: list[Any] | tuple[Any, ...]) -> ColumnElement[bool]:
    """Tickets after ``key``, a (priority, due_at, id) cursor, in queue order.

    A row-value comparison, not the equivalent OR of three terms: PostgreSQL turns it into
    one range on an index in queue order, where the OR form made it read every candidate.
    """
    priority, due_at, ticket_id = key
    return tuple_(*ORDER) > tuple_(priority, due_at, ticket_id)


def search(text: str) -> ColumnElement[bool] | None:
    """Tickets matching what a worker typed: "#123" a ticket number; digits (three or more)
    any part of the caller's number, or that ticket number; anything else words said in a
    voicemail's transcript. None when there is nothing to search for."""
    text = " ".join(text.split())[:SEARCH_MAX]
    if not text:
        return None
    number = TICKET_NUMBER.fullmatch(text)
    if number:
        return Ticket.id == int(number.group(1))
    if PHONE.fullmatch(text):
        digits = re.sub(r"\D", "", text)
        by_id = Ticket.id == int(digits) if len(digits) <= 9 else false()
        if len(digits) < MIN_PHONE_DIGITS:
            return by_id
        return or_(by_id, Ticket.caller_number.contains(digits, autoescape=True))
    said = (
        select(Voicemail.ticket_id)
        .join(Transcript, Transcript.voicemail_id == Voicemail.id)
        .where(Transcript.text.contains(text, autoescape=True))
    )
    return Ticket.id.in_(said)


def cursor_of(ticket: Ticket) -> str:
    """The text a page's "next" link carries: the last row's place in queue order."""
    micros = round(ticket.due_at.timestamp() * 1_000_000)
    return f"{ticket.priority}.{micros}.{ticket.id}"


def parse_cursor(text: str) -> tuple[int, datetime, int] | None:
    """The key in ``text`` (from :func:`cursor_of`); None if it is not one."""
    parts = text.split(".")
    if len(parts) != 3 or not all(p.isdigit() and len(p) <= 18 for p in parts):
        return None
    try:
        due = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=int(parts[1]))
    except OverflowError:
        return None
    return int(parts[0]), due, int(parts[2])


def first_lines(session: Any, ticket_ids: list[int]) -> dict[int, str]:
    """Each ticket's first transcribed words: its earliest voicemail with a transcript."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(Voicemail.ticket_id, Transcript.text)
        .join(Transcript, Transcript.voicemail_id == Voicemail.id)
        .where(Voicemail.ticket_id.in_(ticket_ids), Transcript.text != "")
        .order_by(Voicemail.ticket_id, Voicemail.id)
    )
    found: dict[int, str] = {}
    for ticket_id, text in rows:
        found.setdefault(ticket_id, first_line(text))
    return found


def first_line(text: str, limit: int = 60) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= limit else line[: limit - 1] + "…"


def menu_needs(session: Any, ticket_ids: list[int]) -> dict[int, list[str]]:
    """The needs callers chose in the menu, per ticket, from its voicemails' menu tags."""
    if not ticket_ids:
        return {}
    rows = session.execute(
        select(Voicemail.ticket_id, Voicemail.menu_tags)
        .where(Voicemail.ticket_id.in_(ticket_ids))
        .order_by(Voicemail.ticket_id, Voicemail.id)
    )
    found: dict[int, list[str]] = {}
    for ticket_id, tags in rows:
        needs = found.setdefault(ticket_id, [])
        needs.extend(t for t in tags or () if t not in needs)
    return found
