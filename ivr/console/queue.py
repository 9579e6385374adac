"""The call-back queue: my stations' tickets, most urgent and soonest due first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select

from ivr.console import bp
from ivr.console.common import me, scope
from ivr.db import get_session
from ivr.tickets import queue as ticket_queue
from ivr.tickets.tags import TagInvalid, normalise_tag
from models import Station, Ticket, utcnow

PAGE = 200
LOCAL = ZoneInfo("Asia/Shanghai")


@dataclass
class Filters:
    status: str = "active"  # active (not resolved) | open | in_progress | resolved | all
    tag: str = ""
    urgent: bool = False
    overdue: bool = False
    mine: bool = False
    day: date | None = None
    problems: tuple[str, ...] = ()

    @classmethod
    def from_args(cls) -> Filters:
        args, problems = request.args, []
        status = args.get("status", "active")
        if status not in ("active", "open", "in_progress", "resolved", "all"):
            problems.append(_("未知的状态筛选，已忽略"))
            status = "active"
        try:
            tag = normalise_tag(args.get("tag", ""))
        except TagInvalid:
            problems.append(_("标签筛选格式不正确，已忽略"))
            tag = ""
        day = None
        if args.get("date"):
            try:
                day = date.fromisoformat(args["date"][:10])
            except ValueError:
                problems.append(_("日期格式应为 YYYY-MM-DD，已忽略"))
        flags = {name: args.get(name) == "1" for name in ("urgent", "overdue", "mine")}
        return cls(status, tag, day=day, problems=tuple(problems), **flags)

    def conditions(self, now: datetime) -> list[Any]:
        found: list[Any] = []
        if self.status == "active":
            found.append(ticket_queue.active())
        elif self.status != "all":
            found.append(ticket_queue.status_is(self.status))
        if self.tag:
            found.append(ticket_queue.tagged(self.tag))
        if self.urgent:
            found.append(ticket_queue.urgent())
        if self.overdue:
            found.append(ticket_queue.overdue(now))
        if self.mine:
            found.append(Ticket.assignee_id == me().id)
        if self.day:
            start = datetime.combine(self.day, time(), LOCAL)
            found.extend(ticket_queue.opened_between(start, start + timedelta(days=1)))
        return found


def _counts(now: datetime) -> dict[str, int]:
    base = select(func.count(Ticket.id)).where(scope().tickets_clause(), ticket_queue.active())
    session = get_session()
    return {
        "active": session.scalar(base) or 0,
        "urgent": session.scalar(base.where(ticket_queue.urgent())) or 0,
        "overdue": session.scalar(base.where(Ticket.due_at < now)) or 0,
        "mine": session.scalar(base.where(Ticket.assignee_id == me().id)) or 0,
    }


@bp.get("/")
@login_required
def queue() -> str:
    now = utcnow()
    filters = Filters.from_args()
    query = ticket_queue.queue_query(scope(), *filters.conditions(now)).limit(PAGE)
    tickets = list(get_session().scalars(query))
    stations = {
        s.id: s
        for s in get_session().scalars(select(Station).where(scope().stations_clause(Station.id)))
    }
    return render_template(
        "console/queue.html",
        tickets=tickets,
        filters=filters,
        counts=_counts(now),
        now=now,
        page=PAGE,
        station_count=len(stations),
        query_string=request.query_string.decode(),
    )
