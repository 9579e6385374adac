"""The ticket queue: tickets in a scope, narrowed by filters, urgent and soonest due first.

The console's queue page and the API's ticket list are two views of this one query; the
filters are built from the clauses below, so "overdue" or "urgent" means the same in both.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, or_, select
from sqlalchemy.orm import selectinload

from ivr.tickets.scope import Scope
from models import Priority, Tag, Ticket, TicketStatus

ORDER = (Ticket.priority, Ticket.due_at, Ticket.id)  # the keyset API cursors follow


def queue_query(scope: Scope, *conditions: ColumnElement[bool] | Any) -> Select[tuple[Ticket]]:
    """Tickets in ``scope`` meeting ``conditions``, in queue order, with what a row shows."""
    return (
        select(Ticket)
        .where(scope.tickets_clause(), *conditions)
        .order_by(*ORDER)
        .options(
            selectinload(Ticket.tags),
            selectinload(Ticket.station),
            selectinload(Ticket.caller),
            selectinload(Ticket.referred_from),
            selectinload(Ticket.assignee),
        )
    )


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


def opened_between(start: datetime | None, end: datetime | None) -> list[ColumnElement[bool]]:
    bounds = []
    if start is not None:
        bounds.append(Ticket.opened_at >= start)
    if end is not None:
        bounds.append(Ticket.opened_at < end)
    return bounds


def after(key: list[Any]) -> ColumnElement[bool]:
    """Tickets after ``key``, a (priority, due_at, id) cursor, in queue order."""
    priority, due_at, ticket_id = key
    return or_(
        Ticket.priority > priority,
        and_(Ticket.priority == priority, Ticket.due_at > due_at),
        and_(Ticket.priority == priority, Ticket.due_at == due_at, Ticket.id > ticket_id),
    )
