"""Demo data for urgent alerts: an urgent ticket at 南洲街 whose on-duty phone was texted
and, unopened, escalated one step. Written as the jobs would have left it, without
calling Twilio."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from ivr.alerts.chain import plan_step, record
from ivr.tickets.cases import open_or_merge_ticket
from models import (
    Alert,
    AlertKind,
    AlertState,
    Caller,
    Priority,
    Role,
    Station,
    Ticket,
    TicketSource,
    User,
)

STATION = "haizhu-nanzhou"
RESIDENT = "+8613700000088"
DISTRICT_ADMIN_PHONE = "+8613900000020"


def add_alerts_demo(session: Session, now: datetime) -> str:
    """An urgent ticket at 南洲街, texted and escalated one step (once)."""
    station = session.scalar(select(Station).where(Station.code == STATION))
    if station is None:
        return "alerts: no 南洲街 station"
    if session.scalar(select(exists().where(Alert.station_id == station.id))):
        return "alerts: already there"
    wait = timedelta(minutes=station.alert_escalation_minutes)
    texted = now - wait - timedelta(minutes=3)
    ticket = _urgent_ticket(session, station, texted)
    admin = session.scalar(
        select(User).where(
            User.role == Role.DISTRICT_ADMIN, User.district_id == station.district_id
        )
    )
    if admin is not None and not admin.phone:
        admin.phone = DISTRICT_ADMIN_PHONE
    _sent(session, plan_step(session, ticket, AlertKind.URGENT, 0, texted), texted)
    for step in (1, 2):  # 南洲街 has one phone on its roster: step 1 is skipped
        row = plan_step(session, ticket, AlertKind.URGENT, step, texted + wait)
        if row is not None and row.state is AlertState.PENDING:
            _sent(session, row, texted + wait)
            break
    session.flush()
    return f"alerts: ticket #{ticket.id} at 南洲街 texted and escalated one step"


def _sent(session: Session, alert: Alert | None, at: datetime) -> None:
    """What a job leaves when Twilio accepted the message or call."""
    if alert is None:
        return
    alert.state, alert.attempts, alert.sent_at = AlertState.SENT, 1, at
    alert.sid = ("SM" if alert.step == 0 else "CA") + secrets.token_hex(16)
    record(session, alert, "sent", at=at, attempt=1, sid=alert.sid)


def _urgent_ticket(session: Session, station: Station, at: datetime) -> Ticket:
    """A resident's urgent voicemail at 南洲街, as the menu's urgent node opens one."""
    caller = session.scalar(select(Caller).where(Caller.phone_number == RESIDENT))
    if caller is None:
        caller = Caller(phone_number=RESIDENT, name="陈婆婆", home_station_id=station.id)
        session.add(caller)
        session.flush()
    ticket = open_or_merge_ticket(
        session,
        station=station,
        caller=caller,
        caller_number=RESIDENT,
        source=TicketSource.VOICEMAIL,
        tags=["medical"],
        priority=Priority.URGENT,
        now=at - timedelta(minutes=1),
        note="演示：独居老人胸口痛，已提醒先拨 120",
    )
    for event in ticket.events:
        event.at = ticket.opened_at  # the trail shows when the resident called
    return ticket
