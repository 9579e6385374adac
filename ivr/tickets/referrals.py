"""A referral's life: sent, then accepted or declined by the receiver, then resolved.

Referring moves the ticket to the receiving station at once (it joins that queue as
*incoming*), and the receiver answers within its own time limit for the ticket's priority
(``cases.sla_minutes``): accept, and the case is theirs to work; decline with a reason,
and the ticket goes back to the sender, who is told why. When the receiver resolves an
accepted case, every station that referred it is told the outcome. The sender reads these
notices in its console (``unread_notices``), marked read when it opens the ticket.

Console pages, the REST API and the demo all go through here; each step is an entry on
the ticket's trail and a change to its ``Referral`` row.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.orm import Session, joinedload

from ivr.tickets import actions
from ivr.tickets.cases import sla_minutes
from ivr.tickets.scope import Scope
from models import (
    Priority,
    Referral,
    ReferralState,
    Station,
    Ticket,
    TicketEventKind,
    TicketStatus,
    User,
)


def pending_of(session: Session, ticket: Ticket) -> Referral | None:
    """The referral waiting for the receiver's answer, if any."""
    return session.scalar(
        select(Referral).where(
            Referral.ticket_id == ticket.id, Referral.state == ReferralState.PENDING
        )
    )


def history(session: Session, ticket_id: int) -> list[Referral]:
    """Every referral of the ticket, oldest first, with both stations loaded."""
    return list(
        session.scalars(
            select(Referral)
            .where(Referral.ticket_id == ticket_id)
            .options(joinedload(Referral.from_station), joinedload(Referral.to_station))
            .order_by(Referral.id)
        )
    )


def _open_clash(session: Session, ticket: Ticket, station_id: int) -> int | None:
    """Another open ticket of the same caller at ``station_id`` (one open case each)."""
    if ticket.caller_id is None:
        return None
    return session.scalar(
        select(Ticket.id).where(
            Ticket.station_id == station_id,
            Ticket.caller_id == ticket.caller_id,
            Ticket.status != TicketStatus.RESOLVED,
            Ticket.id != ticket.id,
        )
    )


def send(
    session: Session, ticket: Ticket, actor: User, station_code: str, reason: str, now: datetime
) -> Referral:
    """Hand the case to the station where the resident lives; it waits there for an answer."""
    reason = actions.clean_note(reason, required=True)
    target = session.scalar(select(Station).where(Station.code == station_code.strip()))
    if target is None or not target.active:
        raise actions.TicketActionInvalid(_l("找不到要转介的社工站"))
    if target.id == ticket.station_id:
        raise actions.TicketActionInvalid(_l("工单已经在这个社工站"))
    if ticket.status is TicketStatus.RESOLVED:
        raise actions.TicketActionInvalid(_l("已结案的工单不能转介"))
    if pending_of(session, ticket) is not None:
        raise actions.TicketActionInvalid(_l("这张工单正在等待对方社工站接收"))
    clash = _open_clash(session, ticket, target.id)
    if clash is not None:
        raise actions.TicketActionInvalid(
            _l(
                "该居民在%(station)s已有未结案的工单 #%(id)d，请直接联系对方社工站",
                station=target.name_zh,
                id=clash,
            )
        )
    origin = ticket.station
    referral = Referral(
        ticket=ticket,
        from_station=origin,
        to_station=target,
        state=ReferralState.PENDING,
        reason=reason,
        sent_at=now,
        sent_by_id=actor.id,
        accept_due_at=now + timedelta(minutes=sla_minutes(target, Priority(ticket.priority))),
    )
    session.add(referral)
    ticket.referred_from_station_id = ticket.station_id
    ticket.station_id = target.id
    ticket.assignee_id = None
    actions.record_event(
        session,
        ticket,
        actor,
        TicketEventKind.REFERRED,
        reason,
        from_station=origin.code if origin else None,
        to_station=target.code,
    )
    return referral


def _awaiting(session: Session, ticket: Ticket, actor: User) -> Referral:
    """The pending referral the actor, at the receiving station, may answer."""
    referral = pending_of(session, ticket)
    if referral is None:
        raise actions.TicketActionInvalid(_l("这张工单没有等待接收的转介"))
    if not Scope.of(actor).can_act_on(ticket):
        raise actions.TicketActionInvalid(_l("只有接收转介的社工站可以接收或退回"))
    return referral


def accept(session: Session, ticket: Ticket, actor: User, now: datetime) -> Referral:
    """The receiver takes the case on: from now on it is worked like its own."""
    referral = _awaiting(session, ticket, actor)
    referral.state = ReferralState.ACCEPTED
    referral.answered_at, referral.answered_by_id = now, actor.id
    actions.record_event(
        session,
        ticket,
        actor,
        TicketEventKind.REFERRAL_ACCEPTED,
        from_station=referral.from_station.code if referral.from_station else None,
        to_station=referral.to_station.code,
    )
    return referral


def _referred_from_before(session: Session, ticket: Ticket, referral: Referral) -> int | None:
    """Where the ticket had come from before it reached ``referral``'s sender."""
    return session.scalar(
        select(Referral.from_station_id)
        .where(
            Referral.ticket_id == ticket.id,
            Referral.id < referral.id,
            Referral.to_station_id == referral.from_station_id,
            Referral.state.in_([ReferralState.ACCEPTED, ReferralState.RESOLVED]),
        )
        .order_by(Referral.id.desc())
        .limit(1)
    )


def decline(session: Session, ticket: Ticket, actor: User, reason: str, now: datetime) -> Referral:
    """The receiver says no, and why: the ticket goes back to the sender's queue."""
    reason = actions.clean_note(reason, required=True)
    referral = _awaiting(session, ticket, actor)
    if referral.from_station_id is not None:
        clash = _open_clash(session, ticket, referral.from_station_id)
        if clash is not None:
            raise actions.TicketActionInvalid(
                _l(
                    "该居民在转介方已有未结案的工单 #%(id)d，不能退回；请接收后与对方社工站联系",
                    id=clash,
                )
            )
    previous = _referred_from_before(session, ticket, referral)
    receiver = referral.to_station
    referral.state = ReferralState.DECLINED
    referral.answered_at, referral.answered_by_id = now, actor.id
    referral.decline_reason = reason
    referral.notice_unread = True
    ticket.station_id = referral.from_station_id
    ticket.referred_from_station_id = previous
    ticket.assignee_id = None
    actions.record_event(
        session,
        ticket,
        actor,
        TicketEventKind.REFERRAL_DECLINED,
        reason,
        from_station=receiver.code,
        to_station=referral.from_station.code if referral.from_station else None,
    )
    return referral


def on_resolved(session: Session, ticket: Ticket, actor: User, now: datetime, note: str) -> None:
    """The receiver resolved the case: each accepted referral of it closes with the
    outcome, and its sender is told."""
    accepted = session.scalars(
        select(Referral)
        .where(Referral.ticket_id == ticket.id, Referral.state == ReferralState.ACCEPTED)
        .order_by(Referral.id)
    ).all()
    for referral in accepted:
        referral.state = ReferralState.RESOLVED
        referral.resolved_at, referral.resolved_by_id = now, actor.id
        category = ticket.resolution_category
        referral.outcome_category = category.value if category else None
        referral.outcome_problems = ticket.problems_solved
        referral.outcome_note = note
        referral.notice_unread = True
        actions.record_event(
            session,
            ticket,
            actor,
            TicketEventKind.REFERRAL_RESOLVED,
            from_station=referral.to_station.code,
            to_station=referral.from_station.code if referral.from_station else None,
        )


def require_answered(session: Session, ticket: Ticket) -> None:
    """Refuse work on a ticket still waiting to be accepted: accept (or decline) it first."""
    if pending_of(session, ticket) is not None:
        raise actions.TicketActionInvalid(_l("请先接收这张转介来的工单，再处理"))


def is_overdue(referral: Referral, now: datetime) -> bool:
    """Waiting for an answer past the receiver's time limit."""
    return referral.state is ReferralState.PENDING and referral.accept_due_at < now


def latest_of(session: Session, ticket_ids: list[int]) -> dict[int, Referral]:
    """Each ticket's newest referral, for the queue's rows."""
    if not ticket_ids:
        return {}
    newest = (
        select(func.max(Referral.id))
        .where(Referral.ticket_id.in_(ticket_ids))
        .group_by(Referral.ticket_id)
    )
    rows = session.scalars(
        select(Referral)
        .where(Referral.id.in_(newest))
        .options(joinedload(Referral.from_station), joinedload(Referral.to_station))
    )
    return {r.ticket_id: r for r in rows}


def _unread(scope: Scope) -> ColumnElement[bool]:
    return and_(Referral.notice_unread.is_(True), scope.stations_clause(Referral.from_station_id))


def unread_count(session: Session, scope: Scope) -> int:
    """Notices (declines, outcomes) the scope's stations have not opened yet."""
    if scope.is_city:
        return 0  # the notices are the sending station's
    return int(session.scalar(select(func.count(Referral.id)).where(_unread(scope))) or 0)


def unread_notices(session: Session, scope: Scope, limit: int = 50) -> list[Referral]:
    if scope.is_city:
        return []
    return list(
        session.scalars(
            select(Referral)
            .where(_unread(scope))
            .options(
                joinedload(Referral.from_station),
                joinedload(Referral.to_station),
                joinedload(Referral.ticket),
            )
            .order_by(Referral.id.desc())
            .limit(limit)
        )
    )


def mark_seen(session: Session, ticket: Ticket, scope: Scope) -> int:
    """The sender opened the ticket: its notices about it are read. Returns how many."""
    if scope.is_city:
        return 0
    rows = session.scalars(
        select(Referral).where(Referral.ticket_id == ticket.id, _unread(scope))
    ).all()
    for referral in rows:
        referral.notice_unread = False
    return len(rows)
