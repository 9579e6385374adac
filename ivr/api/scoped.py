"""Lookups narrowed to the token user's scope: outside it, a row does not exist (404)."""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, selectinload

from ivr.api.errors import not_found
from ivr.tickets.scope import Scope
from models import Call, Station, Ticket, User, Voicemail

MAX_ID = 2**31 - 1  # ids are 32-bit; a larger one is simply not there
STATION_CODE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")


def _check_id(value: int) -> None:
    if not 1 <= value <= MAX_ID:
        raise not_found()


def calls_clause(scope: Scope) -> ColumnElement[bool]:
    return scope.stations_clause(Call.station_id)


def ticket_or_404(session: Session, scope: Scope, ticket_id: int) -> Ticket:
    _check_id(ticket_id)
    ticket = session.scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id, scope.tickets_clause())
        .options(
            selectinload(Ticket.tags),
            selectinload(Ticket.station),
            selectinload(Ticket.referred_from),
            selectinload(Ticket.assignee),
        )
    )
    if ticket is None:
        raise not_found()
    return ticket


def call_or_404(session: Session, scope: Scope, call_id: int) -> Call:
    _check_id(call_id)
    call = session.scalar(
        select(Call)
        .where(Call.id == call_id, calls_clause(scope))
        .options(selectinload(Call.events))
    )
    if call is None:
        raise not_found()
    return call


def voicemail_or_404(session: Session, scope: Scope, voicemail_id: int) -> Voicemail:
    _check_id(voicemail_id)
    voicemail = scope.voicemail(session, voicemail_id)
    if voicemail is None:
        raise not_found()
    return voicemail


def station_or_404(session: Session, scope: Scope, code: str) -> Station:
    if not STATION_CODE.fullmatch(code):
        raise not_found()
    station = session.scalar(
        select(Station).where(Station.code == code, scope.stations_clause(Station.id))
    )
    if station is None:
        raise not_found()
    return station


def station_codes(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    rows = session.execute(select(Station.id, Station.code).where(Station.id.in_(wanted)))
    return {row.id: row.code for row in rows}


def revealed_callers(
    session: Session, scope: Scope, user: User, caller_ids: Iterable[int | None]
) -> set[int]:
    """Callers whose number ``user`` may see: those with a ticket assigned to them."""
    wanted = {i for i in caller_ids if i is not None}
    if not wanted:
        return set()
    return set(
        session.scalars(
            select(Ticket.caller_id).where(
                Ticket.caller_id.in_(wanted), Ticket.assignee_id == user.id, scope.tickets_clause()
            )
        )
    )
