"""The demo's acknowledgement texts: on at the demo users' stations, and at 南洲街 three
recent voicemail tickets showing what the trail says of one sent, one held for the
night and one to a number that replied 退订. Made once; a second run leaves them."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.outreach import acknowledgement, messages, opt_outs, quiet_hours
from ivr.outreach.acknowledgement import is_mobile
from models import OutboundMessage, OutboundState, Station, Ticket, TicketSource, TicketStatus

STATION = "haizhu-nanzhou"


def _message(station: Station, ticket: Ticket, at: datetime) -> OutboundMessage:
    return OutboundMessage(
        ticket_id=ticket.id,
        station_id=station.id,
        kind=acknowledgement.KIND,
        idempotency_key=f"{acknowledgement.KIND}:ticket:{ticket.id}",
        to_number=ticket.caller_number,
        from_number=station.hotline_numbers[0].number,
        language="zh",
        body=acknowledgement.render(station, ticket, "zh"),
        state=OutboundState.QUEUED,
        attempts=0,
        last_error="",
        send_after=at,
        created_at=at,
    )


def add_outreach_demo(session: Session, station_codes: set[str], now: datetime) -> str:
    stations = list(session.scalars(select(Station).where(Station.code.in_(station_codes))))
    nanzhou = next((s for s in stations if s.code == STATION), None)
    if nanzhou is None or not nanzhou.hotline_numbers:
        return "outreach: no 南洲街 station"
    if session.scalar(select(OutboundMessage.id).where(OutboundMessage.station_id == nanzhou.id)):
        return "outreach: already there"
    for station in stations:
        station.acknowledge_by_sms = True
    tickets = [
        t
        for t in session.scalars(
            select(Ticket)
            .where(
                Ticket.station_id == nanzhou.id,
                Ticket.source == TicketSource.VOICEMAIL,
                Ticket.status != TicketStatus.RESOLVED,
            )
            .order_by(Ticket.opened_at.desc())
            .limit(40)
        )
        if is_mobile(t.caller_number)
    ]
    numbers: set[str] = set()
    chosen = []
    for ticket in tickets:  # three different residents
        if ticket.caller_number not in numbers:
            numbers.add(ticket.caller_number)
            chosen.append(ticket)
    if len(chosen) < 3:
        return "outreach: too few voicemail tickets at 南洲街"
    held, sent, refused = chosen[:3]  # the newest waits for the morning
    row = _message(nanzhou, sent, sent.opened_at + timedelta(seconds=4))
    session.add(row)
    session.flush()
    row.attempts = 1
    messages.sent(session, row, "SM" + secrets.token_hex(16), row.created_at)
    row = _message(nanzhou, held, held.opened_at + timedelta(seconds=4))
    session.add(row)
    session.flush()
    morning = quiet_hours.quiet_until(nanzhou, now.replace(hour=14, minute=0))  # 22:00 local
    row.send_after = morning or now + timedelta(hours=8)
    messages.settle(session, row, OutboundState.HELD_QUIET_HOURS, at=row.created_at)
    opt_outs.remember(session, refused.caller_number, True, "退订", refused.opened_at)
    row = _message(nanzhou, refused, refused.opened_at + timedelta(seconds=4))
    session.add(row)
    session.flush()
    messages.settle(
        session, row, OutboundState.OPTED_OUT, "the number replied STOP", at=row.created_at
    )
    return f"outreach: texts on at {len(stations)} station(s); 3 acknowledgements at 南洲街"
