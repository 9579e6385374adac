"""What a worker does to a ticket: notes, tags, call-back attempts, assignment, referral,
resolution. Console pages and the REST API both call these; each change is a TicketEvent.
"""

from __future__ import annotations

import enum
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.tickets.cases import sla_minutes
from ivr.tickets.scope import Scope
from ivr.tickets.tags import TagInvalid, get_tags, normalise_tags
from models import (
    Priority,
    ResolutionCategory,
    Role,
    Station,
    Ticket,
    TicketEvent,
    TicketEventKind,
    TicketStatus,
    User,
    utcnow,
)

MAX_NOTE = 4000
MAX_TAGS = 20


class CallbackOutcome(enum.Enum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"
    LEFT_MESSAGE = "left_message"


class TicketActionInvalid(Exception):
    """The change cannot be made as asked; the message says why (shown to the worker)."""


class TicketConflict(TicketActionInvalid):
    """Someone else changed the ticket since this worker loaded it."""


def record_event(
    session: Session,
    ticket: Ticket,
    actor: User,
    kind: TicketEventKind,
    note: str = "",
    **data: object,
) -> None:  # type: ignore[no-untyped-def]
    # Every change, even one only the trail shows, moves the ticket's version on: a form
    # loaded before it is stale.
    ticket.updated_at = utcnow()
    session.add(
        TicketEvent(
            ticket=ticket,
            kind=kind,
            actor_id=actor.id,
            station_id=actor.station_id or ticket.station_id,
            note=note,
            data=dict(data),
        )
    )


def check_version(ticket: Ticket, expected: int | None) -> None:
    if expected is not None and expected != ticket.version_id:
        raise TicketConflict(_l("这张工单刚被其他人修改过，请刷新后再试"))


def clean_note(text: str, required: bool) -> str:
    text = (text or "").strip()
    if required and not text:
        raise TicketActionInvalid(_l("备注不能为空"))
    if len(text) > MAX_NOTE:
        raise TicketActionInvalid(_l("备注不能超过%(n)d字", n=MAX_NOTE))
    return text


def add_note(session: Session, ticket: Ticket, actor: User, text: str) -> None:
    record_event(session, ticket, actor, TicketEventKind.NOTE, clean_note(text, required=True))


def set_tags(session: Session, ticket: Ticket, actor: User, typed: list[str]) -> None:
    """The ticket's tags become ``typed`` (free text, normalised; catalogue names → codes)."""
    try:
        codes = normalise_tags(typed)
    except TagInvalid as exc:
        raise TicketActionInvalid(_l("标签格式不正确：%(why)s", why=str(exc))) from None
    if len(codes) > MAX_TAGS:
        raise TicketActionInvalid(_l("标签最多%(n)d个", n=MAX_TAGS))
    before = {t.code for t in ticket.tags}
    ticket.tags = get_tags(session, codes)
    added, removed = sorted(set(codes) - before), sorted(before - set(codes))
    if added:
        record_event(session, ticket, actor, TicketEventKind.TAGGED, tags=added)
    if removed:
        record_event(session, ticket, actor, TicketEventKind.UNTAGGED, tags=removed)


def log_callback(
    session: Session, ticket: Ticket, actor: User, outcome: str, note: str, now: datetime
) -> None:
    """A call-back attempt made by phone, with how it went."""
    try:
        result = CallbackOutcome(outcome)
    except ValueError:
        raise TicketActionInvalid(_l("请选择回电结果")) from None
    if ticket.first_callback_at is None:
        ticket.first_callback_at = now
    if ticket.status is TicketStatus.OPEN:
        ticket.status = TicketStatus.IN_PROGRESS
    record_event(
        session,
        ticket,
        actor,
        TicketEventKind.CALLBACK_ATTEMPT,
        clean_note(note, False),
        outcome=result.value,
    )


def assign(session: Session, ticket: Ticket, actor: User, assignee_id: int | None) -> None:
    """Give the ticket to a colleague at its station (or to nobody)."""
    assignee = session.get(User, assignee_id) if assignee_id else None
    if assignee_id and assignee is None:
        raise TicketActionInvalid(_l("找不到这位同事"))
    if assignee is not None and not Scope.of(assignee).can_act_on(ticket):
        raise TicketActionInvalid(_l("只能分派给本社工站的同事"))
    if assignee is not None and assignee.role is Role.CITY_ADMIN and actor.id != assignee.id:
        raise TicketActionInvalid(_l("只能分派给本社工站的同事"))
    ticket.assignee_id = assignee.id if assignee else None
    record_event(
        session,
        ticket,
        actor,
        TicketEventKind.ASSIGNED,
        assignee=assignee.username if assignee else None,
        assignee_id=assignee.id if assignee else None,
    )


def refer(session: Session, ticket: Ticket, actor: User, station_code: str, reason: str) -> Station:
    """Hand the case to the station where the resident lives; it waits there to be
    accepted (``ivr.tickets.referrals``, which builds on this module)."""
    from ivr.tickets import referrals

    return referrals.send(session, ticket, actor, station_code, reason, utcnow()).to_station


def set_status(session: Session, ticket: Ticket, actor: User, status: TicketStatus) -> None:
    """Move a ticket between open and in progress (resolving has its own verb)."""
    if status is ticket.status:
        return
    if status is TicketStatus.RESOLVED:
        raise TicketActionInvalid(_l("请选择结案类别"))
    if ticket.status is TicketStatus.RESOLVED:
        raise TicketActionInvalid(_l("已结案的工单不能重新打开"))
    before = ticket.status
    ticket.status = status
    record_event(
        session,
        ticket,
        actor,
        TicketEventKind.STATUS_CHANGED,
        **{"from": before.value, "to": status.value},
    )


def resolve(
    session: Session,
    ticket: Ticket,
    actor: User,
    category: str,
    problems: int,
    note: str,
    now: datetime,
) -> None:
    try:
        resolution = ResolutionCategory(category)
    except ValueError:
        raise TicketActionInvalid(_l("请选择结案类别")) from None
    if not 0 <= problems <= 99:
        raise TicketActionInvalid(_l("解决问题数应在0到99之间"))
    if ticket.status is TicketStatus.RESOLVED:
        raise TicketActionInvalid(_l("工单已经结案"))
    ticket.status = TicketStatus.RESOLVED
    ticket.resolution_category = resolution
    ticket.problems_solved = problems
    ticket.resolved_at = now
    note = clean_note(note, False)
    record_event(
        session,
        ticket,
        actor,
        TicketEventKind.RESOLVED,
        note,
        category=resolution.value,
        problems_solved=problems,
    )
    from ivr.tickets import referrals  # builds on this module

    referrals.on_resolved(session, ticket, actor, now, note)


def reopen(session: Session, ticket: Ticket, actor: User, reason: str, now: datetime) -> None:
    """A resolved case is open again (the resident called about it, or it was closed too
    soon): due again within the station's time limit, its resolution kept in the trail."""
    reason = clean_note(reason, required=True)
    if ticket.status is not TicketStatus.RESOLVED:
        raise TicketActionInvalid(_l("只有已结案的工单可以重新打开"))
    if ticket.station_id is not None and ticket.caller_id is not None:
        clash = session.scalar(
            select(Ticket.id).where(
                Ticket.station_id == ticket.station_id,
                Ticket.caller_id == ticket.caller_id,
                Ticket.status != TicketStatus.RESOLVED,
                Ticket.id != ticket.id,
            )
        )
        if clash is not None:
            raise TicketActionInvalid(
                _l("该居民在本站已有未结案的工单 #%(id)d，请在那张工单上继续处理", id=clash)
            )
    # Read before changing anything: a lazy load would flush the change half made.
    minutes = sla_minutes(ticket.station, Priority(ticket.priority))
    previous = {
        "category": ticket.resolution_category.value if ticket.resolution_category else None,
        "problems_solved": ticket.problems_solved,
        # The days these fell on count the ticket resolved and due: statistics recompute
        # them (ivr.stats.rollup), though the ticket no longer carries the old times.
        "resolved_at": ticket.resolved_at.isoformat() if ticket.resolved_at else None,
        "due_at": ticket.due_at.isoformat(),
    }
    ticket.status = (
        TicketStatus.IN_PROGRESS if ticket.first_callback_at is not None else TicketStatus.OPEN
    )
    ticket.resolved_at = None
    ticket.resolution_category = None
    ticket.problems_solved = 0
    ticket.due_at = now + timedelta(minutes=minutes)
    record_event(
        session, ticket, actor, TicketEventKind.REOPENED, reason, to=ticket.status.value, **previous
    )


def set_priority(session: Session, ticket: Ticket, actor: User, value: str) -> None:
    """A worker's judgement of urgency; the due time follows a raised priority."""
    try:
        priority = Priority[value.upper()] if not value.isdigit() else Priority(int(value))
    except (KeyError, ValueError):
        raise TicketActionInvalid(_l("请选择优先级")) from None
    if int(priority) == ticket.priority:
        return
    due = ticket.opened_at + timedelta(minutes=sla_minutes(ticket.station, priority))
    change_priority(session, ticket, actor, priority, due)


def change_priority(
    session: Session, ticket: Ticket, actor: User, priority: Priority, due: datetime
) -> None:
    """Set ``priority``; an open ticket raised to it is due by ``due`` at the latest. The
    trail keeps the due time it had (statistics recompute the day it fell on)."""
    before, due_before = Priority(ticket.priority), ticket.due_at
    ticket.priority = int(priority)
    if ticket.status is not TicketStatus.RESOLVED and priority < before:
        ticket.due_at = min(ticket.due_at, due)
    record_event(
        session,
        ticket,
        actor,
        TicketEventKind.PRIORITY_CHANGED,
        **{"from": before.name.lower(), "to": priority.name.lower()},
        **({"due_at": due_before.isoformat()} if ticket.due_at != due_before else {}),
    )
