"""``GET /tickets``: filters from the query string, and the keyset-paged query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select

from ivr.api.errors import invalid_parameter
from ivr.api.pagination import decode_cursor
from ivr.api.params import Query
from ivr.api.scoped import STATION_CODE
from ivr.stations.users import USERNAME
from ivr.tickets import queue
from ivr.tickets.scope import Scope
from ivr.tickets.tags import MAX_TAG_LENGTH, TagInvalid, normalise_tag
from models import Station, Ticket, TicketStatus, User

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
    "view",
    "q",
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
    view: str = queue.QUEUE  # or queue.REFERRED_OUT
    q: str = ""


def read_filters(query: Query) -> TicketFilters:
    return TicketFilters(
        status=query.choice("status", STATUSES),
        station=query.matching("station", STATION_CODE, "社工站代码只含小写字母、数字和 -"),
        tag=_tag(query),
        urgent=query.boolean("urgent"),
        overdue=query.boolean("overdue"),
        assignee=query.matching("assignee", USERNAME, "应为 me、none 或用户名"),
        since=query.moment("since"),
        until=query.moment("until", end_of_day=True),
        after=decode_cursor(query.raw("cursor"), LISTING, (int, datetime, int)),
        limit=query.limit(),
        view=query.choice("view", queue.VIEWS) or queue.QUEUE,
        q=query.raw("q") or "",
    )


# Holds characters no stored tag may hold, so it matches no ticket (and, unlike what was
# typed, holds no NUL for PostgreSQL to refuse).
NO_SUCH_TAG = "<no such tag>"


def _tag(query: Query) -> str | None:
    """A tag as typed (a catalogue code or name, or free text), in its stored form."""
    raw = query.raw("tag")
    if raw is None:
        return None
    if not 1 <= len(raw) <= MAX_TAG_LENGTH:
        raise invalid_parameter("tag", f"1 到 {MAX_TAG_LENGTH} 个字符")
    try:
        return normalise_tag(raw) or None
    except TagInvalid:
        # No ticket can carry a tag that has no normal form: the filter finds nothing.
        return NO_SUCH_TAG


def _assignee_clause(assignee: str, user: User):  # type: ignore[no-untyped-def]
    if assignee == "me":
        return Ticket.assignee_id == user.id
    if assignee == "none":
        return Ticket.assignee_id.is_(None)
    return Ticket.assignee_id.in_(select(User.id).where(User.username == assignee))


def tickets_query(filters: TicketFilters, scope: Scope, user: User, now: datetime) -> Select:
    """The page's tickets in scope, urgent and soonest due first; fetches limit + 1."""
    conditions: list[Any] = []
    if filters.status:
        conditions.append(queue.status_is(filters.status))
    if filters.station:
        station_ids = select(Station.id).where(Station.code == filters.station)
        conditions.append(Ticket.station_id.in_(station_ids))
    if filters.tag:
        conditions.append(queue.tagged(filters.tag))
    if filters.urgent is not None:
        conditions.append(queue.urgent(filters.urgent))
    if filters.overdue is not None:
        conditions.append(queue.overdue(now, filters.overdue))
    if filters.assignee:
        conditions.append(_assignee_clause(filters.assignee, user))
    conditions.extend(queue.opened_between(filters.since, filters.until))
    searched = queue.search(filters.q)
    if searched is not None:
        conditions.append(searched)
    if filters.after:
        conditions.append(queue.after(filters.after))
    return queue.queue_query(scope, *conditions, view=filters.view).limit(filters.limit + 1)
