"""The call-back queue: my stations' tickets, most urgent and soonest due first."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import Select, func, select
from sqlalchemy.orm import selectinload

from ivr.console import bp
from ivr.console.common import me, scope
from ivr.db import get_session
from models import Priority, Station, Tag, Ticket, TicketStatus, utcnow

PAGE = 200
LOCAL = ZoneInfo("Asia/Shanghai")
TAG = re.compile(r"^[a-z0-9_-]{1,64}$")


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
        tag = args.get("tag", "").strip().lower()
        if tag and not TAG.fullmatch(tag):
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

    def apply(self, query: Select, now: datetime) -> Select:  # type: ignore[type-arg]
        if self.status == "active":
            query = query.where(Ticket.status != TicketStatus.RESOLVED)
        elif self.status != "all":
            query = query.where(Ticket.status == TicketStatus(self.status))
        if self.tag:
            query = query.where(Ticket.tags.any(Tag.code == self.tag))
        if self.urgent:
            query = query.where(Ticket.priority == int(Priority.URGENT))
        if self.overdue:
            query = query.where(Ticket.due_at < now, Ticket.status != TicketStatus.RESOLVED)
        if self.mine:
            query = query.where(Ticket.assignee_id == me().id)
        if self.day:
            start = datetime.combine(self.day, time(), LOCAL)
            query = query.where(
                Ticket.opened_at >= start, Ticket.opened_at < start + timedelta(days=1)
            )
        return query


def _counts(now: datetime) -> dict[str, int]:
    base = select(func.count(Ticket.id)).where(
        scope().tickets_clause(), Ticket.status != TicketStatus.RESOLVED
    )
    session = get_session()
    return {
        "active": session.scalar(base) or 0,
        "urgent": session.scalar(base.where(Ticket.priority == int(Priority.URGENT))) or 0,
        "overdue": session.scalar(base.where(Ticket.due_at < now)) or 0,
        "mine": session.scalar(base.where(Ticket.assignee_id == me().id)) or 0,
    }


@bp.get("/")
@login_required
def queue() -> str:
    now = utcnow()
    filters = Filters.from_args()
    query = filters.apply(
        select(Ticket)
        .where(scope().tickets_clause())
        .options(
            selectinload(Ticket.tags), selectinload(Ticket.station), selectinload(Ticket.caller)
        )
        .order_by(Ticket.priority, Ticket.due_at, Ticket.id)
        .limit(PAGE),
        now,
    )
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
