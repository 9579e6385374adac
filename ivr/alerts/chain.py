"""Who is alerted about a ticket, and when the next step is due.

Step 0 texts the station's on-duty phone (the first active phone on its roster). If
nobody has opened the ticket ``alert_escalation_minutes`` later, step 1 rings the next
phone on the roster, and step 2 the district admin's own phone. Each step is one row in
``alerts`` with a unique key, so planning twice plans once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ivr.menus.engine import ANSWERED_DIAL_STATUSES
from ivr.phone import is_e164
from models import (
    Alert,
    AlertChannel,
    AlertKind,
    AlertState,
    Call,
    CallEvent,
    Priority,
    Role,
    Station,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    User,
    utcnow,
)

LAST_STEP = 2
# Tickets the periodic pass looks at: something happened to them this recently.
RECENT = timedelta(minutes=30)


@dataclass(frozen=True)
class Recipient:
    channel: AlertChannel
    number: str
    name: str


def recipient(session: Session, station: Station, step: int) -> Recipient | None:
    """Whom step ``step`` reaches at ``station``, or None when there is no one."""
    roster = [p for p in station.on_duty_phones if p.active and is_e164(p.number)]
    if step in (0, 1):
        if len(roster) <= step:
            return None
        phone = roster[step]
        channel = AlertChannel.SMS if step == 0 else AlertChannel.CALL
        return Recipient(channel, phone.number, phone.name)
    if step == 2:
        admin = session.scalars(
            select(User)
            .where(
                User.role == Role.DISTRICT_ADMIN,
                User.district_id == station.district_id,
                User.active.is_(True),
                User.phone.is_not(None),
            )
            .order_by(User.id)
        ).first()
        if admin is None or not is_e164(admin.phone or ""):
            return None
        return Recipient(AlertChannel.CALL, admin.phone or "", admin.display_name or admin.username)
    return None


def _call_sids(ticket: Ticket) -> set[str]:
    return {e.data["call_sid"] for e in ticket.events if isinstance(e.data.get("call_sid"), str)}


def missed_forward(session: Session, ticket: Ticket) -> bool:
    """Whether a call that joined this ticket rang the on-duty phones and nobody answered."""
    sids = _call_sids(ticket)
    if not sids:
        return False
    statuses = session.scalars(
        select(CallEvent.detail)
        .join(Call, Call.id == CallEvent.call_id)
        .where(Call.call_sid.in_(sids), CallEvent.kind == "dial")
    ).all()
    dialled = [str((d or {}).get("status") or "") for d in statuses]
    return bool(dialled) and not any(s in ANSWERED_DIAL_STATUSES for s in dialled)


def kind_needed(session: Session, ticket: Ticket) -> AlertKind | None:
    """The alert this ticket calls for, if any and none was started for it yet."""
    station = ticket.station
    if station is None or not station.alerts_enabled or ticket.status is TicketStatus.RESOLVED:
        return None
    if session.scalar(select(exists().where(Alert.ticket_id == ticket.id))):
        return None  # one chain per ticket: a second reason adds nobody to wake
    if ticket.priority <= Priority.URGENT:
        return AlertKind.URGENT
    if missed_forward(session, ticket):
        return AlertKind.MISSED_FORWARD
    return None


def plan_step(
    session: Session, ticket: Ticket, kind: AlertKind, step: int, now: datetime
) -> Alert | None:
    """Add the row for ``step`` (skipping steps that reach no one); None if it exists."""
    station = ticket.station
    assert station is not None
    wait = timedelta(minutes=station.alert_escalation_minutes)
    target = recipient(session, station, step)
    alert = Alert(
        ticket_id=ticket.id,
        station_id=station.id,
        kind=kind,
        step=step,
        channel=target.channel if target else AlertChannel.CALL,
        to_number=target.number if target else "",
        recipient=target.name if target else "",
        idempotency_key=f"{kind.value}:{ticket.id}:{step}",
        state=AlertState.PENDING if target else AlertState.SKIPPED,
        last_error=None if target else "no phone for this step",
        # A skipped step passes the turn on at once.
        due_at=None if step >= LAST_STEP else (now + wait if target else now),
    )
    try:
        with session.begin_nested():
            session.add(alert)
            session.flush()
    except IntegrityError:
        return None
    if target is None:
        record(session, alert, "skipped", at=now)
    return alert


def record(
    session: Session,
    alert: Alert,
    outcome: str,
    actor: User | None = None,
    at: datetime | None = None,
    **data: object,
) -> None:
    """The alert's outcome on its ticket's trail."""
    session.add(
        TicketEvent(
            ticket_id=alert.ticket_id,
            at=at or utcnow(),
            kind=TicketEventKind.ALERT,
            actor_id=actor.id if actor is not None else None,
            station_id=alert.station_id,
            data={
                "alert_id": alert.id,
                "alert_kind": alert.kind.value,
                "step": alert.step,
                "channel": alert.channel.value,
                "to": alert.to_number,
                "recipient": alert.recipient,
                "outcome": outcome,
                **data,
            },
        )
    )


def start(session: Session, ticket_id: int, now: datetime) -> Alert | None:
    """Plan step 0 for ``ticket_id`` if it needs an alert. The caller commits."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is None:
        return None
    kind = kind_needed(session, ticket)
    return plan_step(session, ticket, kind, 0, now) if kind else None


def recent_candidates(session: Session, now: datetime) -> list[int]:
    """Unresolved tickets touched lately that have no alert yet (the pass's safety net)."""
    touched = (
        select(TicketEvent.ticket_id)
        .where(
            TicketEvent.at >= now - RECENT,
            TicketEvent.kind.in_(
                [
                    TicketEventKind.OPENED,
                    TicketEventKind.VOICEMAIL_ADDED,
                    TicketEventKind.MERGED,
                    TicketEventKind.TRANSCRIBED,
                    TicketEventKind.PRIORITY_CHANGED,
                ]
            ),
        )
        .distinct()
    )
    return list(
        session.scalars(
            select(Ticket.id).where(
                Ticket.id.in_(touched),
                Ticket.status != TicketStatus.RESOLVED,
                ~exists().where(Alert.ticket_id == Ticket.id),
            )
        )
    )


def escalate(session: Session, now: datetime) -> list[Alert]:
    """Plan the next step of every chain whose wait ran out with the ticket unopened;
    cancel the rest of a chain whose ticket was opened or resolved. The caller commits."""
    planned = []
    nxt = Alert.__table__.alias("nxt")
    rows = session.scalars(
        select(Alert)
        .where(
            Alert.due_at <= now,
            Alert.step < LAST_STEP,
            Alert.opened_at.is_(None),
            ~exists().where(
                and_(
                    nxt.c.ticket_id == Alert.ticket_id,
                    nxt.c.kind == Alert.kind,
                    nxt.c.step == Alert.step + 1,
                )
            ),
        )
        .order_by(Alert.id)
    ).all()
    for alert in rows:
        ticket = session.get(Ticket, alert.ticket_id)
        station = ticket.station if ticket is not None else None
        if ticket is None or ticket.status is TicketStatus.RESOLVED:
            alert.due_at = None
            continue
        if station is None or not station.alerts_enabled:
            alert.due_at = None
            continue
        row = plan_step(session, ticket, alert.kind, alert.step + 1, now)
        if row is not None:
            planned.append(row)
    return planned
