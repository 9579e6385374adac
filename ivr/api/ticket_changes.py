"""``PATCH /tickets/{id}`` and notes: read the body, then call ``ivr.tickets.actions``.

Changes apply in one transaction, in a fixed order (tags, assignee, status), so a
resolution records the ticket as it was finally left; any refusal changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.api.bodies import choice, integer, string_list, text
from ivr.api.errors import ApiError, invalid_field
from ivr.stations.users import USERNAME
from ivr.tickets import actions as ticket_actions
from ivr.tickets.actions import MAX_NOTE, MAX_TAGS, TicketActionInvalid
from ivr.tickets.tags import TagInvalid, normalise_tags
from models import ResolutionCategory, Ticket, TicketStatus, User

PATCH_FIELDS = {
    "status",
    "tags",
    "assignee",
    "expected_version",
    "resolution_category",
    "problems_solved",
    "resolution_note",
    "reopen_reason",
}
NOTE_FIELDS = {"text"}
STATUSES = tuple(s.value for s in TicketStatus)
CATEGORIES = tuple(c.value for c in ResolutionCategory)
MAX_VERSION = 2**31 - 1
MAX_USERNAME = 64
UNSET = object()


@dataclass(frozen=True)
class TicketChange:
    status: str | None
    tags: list[str] | None
    assignee: Any  # UNSET, None (nobody) or a username ("me": the token's user)
    expected_version: int | None
    resolution_category: str | None
    problems_solved: int | None
    resolution_note: str
    reopen_reason: str


def read_change(data: dict[str, Any]) -> TicketChange:
    tags = string_list(data, "tags", MAX_TAGS)
    try:
        tags = None if tags is None else normalise_tags(tags)
    except TagInvalid as exc:
        raise ApiError(422, "invalid_change", f"tags: 标签格式不正确：{exc}") from None
    assignee = data.get("assignee", UNSET)
    if assignee is not UNSET and assignee is not None:
        assignee = text(data, "assignee", MAX_USERNAME)
        if not USERNAME.fullmatch(assignee or ""):
            raise invalid_field("assignee", "应为用户名、me 或 null")
    change = TicketChange(
        status=choice(data, "status", STATUSES),
        tags=tags,
        assignee=assignee,
        expected_version=integer(data, "expected_version", 1, MAX_VERSION),
        resolution_category=choice(data, "resolution_category", CATEGORIES),
        problems_solved=integer(data, "problems_solved", 0, 99),
        resolution_note=text(data, "resolution_note", MAX_NOTE) or "",
        reopen_reason=text(data, "reopen_reason", MAX_NOTE) or "",
    )
    resolving = change.status == TicketStatus.RESOLVED.value
    extras = [n for n in ("resolution_category", "problems_solved", "resolution_note") if n in data]
    if extras and not resolving:
        raise invalid_field(extras[0], '只在 "status": "resolved" 时使用')
    if resolving and (change.resolution_category is None or change.problems_solved is None):
        raise invalid_field("status", "结案需要 resolution_category 和 problems_solved")
    if "reopen_reason" in data and change.status not in ("open", "in_progress"):
        raise invalid_field(
            "reopen_reason", '只在重新打开（"status": "open" 或 "in_progress"）时使用'
        )
    return change


def _assignee_id(session: Session, actor: User, username: str | None) -> int | None:
    if username is None:
        return None
    if username == "me":
        return actor.id
    user_id = session.scalar(select(User.id).where(User.username == username))
    if user_id is None:
        raise TicketActionInvalid("找不到这位同事")
    return user_id


def _set_status(
    session: Session, ticket: Ticket, actor: User, change: TicketChange, now: datetime
) -> None:
    wanted = TicketStatus(change.status)
    if wanted is ticket.status:
        return
    if wanted is TicketStatus.RESOLVED:
        ticket_actions.resolve(
            session,
            ticket,
            actor,
            change.resolution_category or "",
            change.problems_solved or 0,
            change.resolution_note,
            now,
        )
        return
    if ticket.status is TicketStatus.RESOLVED:
        if not change.reopen_reason.strip():
            raise TicketActionInvalid("重新打开已结案的工单需要 reopen_reason")
        ticket_actions.reopen(session, ticket, actor, change.reopen_reason, now)
    ticket_actions.set_status(session, ticket, actor, wanted)


def apply_change(
    session: Session, ticket: Ticket, actor: User, change: TicketChange, now: datetime
) -> None:
    """Make ``change`` through ticket_actions; raises TicketActionInvalid/TicketConflict."""
    ticket_actions.check_version(ticket, change.expected_version)
    if change.tags is not None:
        ticket_actions.set_tags(session, ticket, actor, change.tags)
    if change.assignee is not UNSET:
        assignee_id = _assignee_id(session, actor, change.assignee)
        if assignee_id != ticket.assignee_id:
            ticket_actions.assign(session, ticket, actor, assignee_id)
    if change.status is not None:
        _set_status(session, ticket, actor, change, now)


def read_note(data: dict[str, Any]) -> str:
    return text(data, "text", MAX_NOTE, required=True) or ""
