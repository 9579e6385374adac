"""``GET /tickets``: filters from the query string, and the keyset-paged query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import selectinload

from ivr.api.pagination import decode_cursor
from ivr.api.params import Query
from ivr.api.scoped import STATION_CODE
from ivr.stations.users import USERNAME
from ivr.tickets.actions import TAG_CODE
from ivr.tickets.scope import Scope
from models import Priority, Station, Tag, Ticket, TicketStatus, User

LISTING = "tickets"
PARAMETERS = {
    "status",
    "station",
    "tag",
    "urgent",
    "overdue",
    "assignee",
    "since",
    "until",
    "cursor",
    "limit",
}
STATUSES = tuple(s.value for s in TicketStatus)


@dataclass(frozen=True)
class TicketFilters:
    status: str | None
    station: str | None
    tag: str | None
    urgent: bool | None
    overdue: bool | None
    assignee: str | None  # "me", "none" or a username
    since: datetime | None
    until: datetime | None
    after: list | None  # the cursor's (priority, due_at, id)
    limit: int


def read_filters(query: Query) -> TicketFilters:
    return TicketFilters(
        status=query.choice("status", STATUSES),
        station=query.matching("station", STATION_CODE, "社工站代码只含小写字母、数字和 -"),
        tag=query.matching("tag", TAG_CODE, "标签只含小写字母、数字、_ 和 -"),
        urgent=query.boolean("urgent"),
        overdue=query.boolean("overdue"),
        assignee=query.matching("assignee", USERNAME, "应为 me、none 或用户名"),
        since=query.moment("since"),
        until=query.moment("until", end_of_day=True),
        after=decode_cursor(query.raw("cursor"), LISTING, (int, datetime, int)),
        limit=query.limit(),
    )


def _assignee_clause(assignee: str, user: User):  # type: ignore[no-untyped-def]
    if assignee == "me":
        return Ticket.assignee_id == user.id
    if assignee == "none":
        return Ticket.assignee_id.is_(None)
    return Ticket.assignee_id.in_(select(User.id).where(User.username == assignee))


def _overdue_clause(overdue: bool, now: datetime):  # type: ignore[no-untyped-def]
    late = and_(Ticket.status != TicketStatus.RESOLVED, Ticket.due_at < now)
    if overdue:
        return late
    return or_(Ticket.status == TicketStatus.RESOLVED, Ticket.due_at >= now)


def _after(key: list):  # type: ignore[no-untyped-def]
    """Rows sorting after ``key`` in (priority, due_at, id) order."""
    priority, due_at, ticket_id = key
    return or_(
        Ticket.priority > priority,
        and_(Ticket.priority == priority, Ticket.due_at > due_at),
        and_(Ticket.priority == priority, Ticket.due_at == due_at, Ticket.id > ticket_id),
    )


def tickets_query(filters: TicketFilters, scope: Scope, user: User, now: datetime) -> Select:
    """The page's tickets in scope, urgent and soonest due first; fetches limit + 1."""
    conditions = [scope.tickets_clause()]
    if filters.status:
        conditions.append(Ticket.status == TicketStatus(filters.status))
    if filters.station:
        station_ids = select(Station.id).where(Station.code == filters.station)
        conditions.append(Ticket.station_id.in_(station_ids))
    if filters.tag:
        conditions.append(Ticket.tags.any(Tag.code == filters.tag))
    if filters.urgent is not None:
        urgent = Ticket.priority == int(Priority.URGENT)
        conditions.append(urgent if filters.urgent else ~urgent)
    if filters.overdue is not None:
        conditions.append(_overdue_clause(filters.overdue, now))
    if filters.assignee:
        conditions.append(_assignee_clause(filters.assignee, user))
    if filters.since:
        conditions.append(Ticket.opened_at >= filters.since)
    if filters.until:
        conditions.append(Ticket.opened_at < filters.until)
    if filters.after:
        conditions.append(_after(filters.after))
    return (
        select(Ticket)
        .where(*conditions)
        .order_by(Ticket.priority, Ticket.due_at, Ticket.id)
        .limit(filters.limit + 1)
        .options(
            selectinload(Ticket.tags),
            selectinload(Ticket.station),
            selectinload(Ticket.referred_from),
            selectinload(Ticket.assignee),
        )
    )
