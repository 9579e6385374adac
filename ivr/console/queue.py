"""The call-back queue: my stations' tickets, most urgent and soonest due first.

Paged by keyset (the last row's place in queue order), searchable by ticket number, any part
of the caller's number or words in a transcript; admins narrow it to a district or station,
the city admin to the unassigned queue. Tickets a station referred away leave its queue
for the "referred out" view, which shows where they are now, how the receiver answered,
and the declines and outcomes not opened yet; tickets referred to it are "incoming" until
it accepts them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from flask import render_template, request
from flask_babel import gettext as _
from flask_login import login_required
from sqlalchemy import func, select

from ivr.console import bp
from ivr.console.common import me, scope
from ivr.console.labels import CATEGORIES
from ivr.db import get_session
from ivr.tickets import queue as ticket_queue
from ivr.tickets import referrals
from ivr.tickets.scope import Scope
from ivr.tickets.tags import TagInvalid, normalise_tag
from models import District, Role, Station, Tag, TagKind, Ticket, utcnow

PAGE = 50
LOCAL = ZoneInfo("Asia/Shanghai")
STATUSES = ("active", "open", "in_progress", "resolved", "all")
KEPT = ("view", "status", "tag", "q", "station", "district", "unassigned", "urgent", "overdue")
KEPT += ("mine", "date")


@dataclass
class Filters:
    view: str = ticket_queue.QUEUE  # queue | referred_out
    status: str = "active"  # active (not resolved) | open | in_progress | resolved | all
    tag: str = ""
    q: str = ""
    station: Any = None  # a Places row
    district: Any = None
    unassigned: bool = False
    urgent: bool = False
    overdue: bool = False
    mine: bool = False
    day: date | None = None
    after: tuple[int, datetime, int] | None = None
    problems: list[str] = field(default_factory=list)

    @classmethod
    def from_args(cls, places: Places) -> Filters:
        args, found = request.args, cls()
        problems = found.problems
        if args.get("view") == ticket_queue.REFERRED_OUT and not scope().is_city:
            found.view = ticket_queue.REFERRED_OUT
        elif args.get("view") == ticket_queue.INCOMING:
            found.view = ticket_queue.INCOMING
        found.q = " ".join(args.get("q", "").split())[: ticket_queue.SEARCH_MAX]
        # A search looks through every status unless one is chosen: a resolved case is
        # often the one a caller asks about.
        status = args.get("status") or ("all" if found.q else "active")
        if status not in STATUSES:
            problems.append(_("未知的状态筛选，已忽略"))
            status = "active"
        found.status = status
        try:  # a well-formed tag no ticket carries yet filters to nothing
            found.tag = normalise_tag(args.get("tag", ""))
        except TagInvalid:
            problems.append(_("标签筛选格式不正确，已忽略"))
        if args.get("station"):
            found.station = places.stations.get(args["station"])
            if found.station is None:
                problems.append(_("没有这个社工站，或不在你的范围内，已忽略"))
        if args.get("district") and scope().is_city:
            found.district = places.districts.get(args["district"])
            if found.district is None:
                problems.append(_("没有这个区，已忽略"))
        found.unassigned = args.get("unassigned") == "1" and scope().is_city
        if args.get("date"):
            try:
                found.day = date.fromisoformat(args["date"][:10])
            except ValueError:
                problems.append(_("日期格式应为 YYYY-MM-DD，已忽略"))
        if args.get("after"):
            found.after = ticket_queue.parse_cursor(args["after"])
        found.urgent, found.overdue, found.mine = (
            args.get(name) == "1" for name in ("urgent", "overdue", "mine")
        )
        return found

    def conditions(self, now: datetime) -> list[Any]:
        found: list[Any] = []
        if self.status == "active":
            found.append(ticket_queue.active())
        elif self.status != "all":
            found.append(ticket_queue.status_is(self.status))
        if self.tag:
            found.append(ticket_queue.tagged(self.tag))
        searched = ticket_queue.search(self.q)
        if searched is not None:
            found.append(searched)
        column = Ticket.referred_from_station_id if self.referred else Ticket.station_id
        if self.station is not None:
            found.append(column == self.station.id)
        elif self.district is not None:
            found.append(
                column.in_(Scope(Role.DISTRICT_ADMIN, None, self.district.id).district_station_ids)
            )
        if self.unassigned:
            found.append(ticket_queue.unassigned_station())
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

    @property
    def referred(self) -> bool:
        return self.view == ticket_queue.REFERRED_OUT

    @property
    def incoming(self) -> bool:
        return self.view == ticket_queue.INCOMING

    @property
    def narrowed(self) -> bool:
        """Whether anything beyond the plain queue is asked for (the page says so)."""
        return bool(
            self.q
            or self.tag
            or self.station
            or self.district
            or self.unassigned
            or self.urgent
            or self.overdue
            or self.mine
            or self.day
            or self.status != "active"
        )


@dataclass(frozen=True)
class Area:
    id: int
    code: str
    name_zh: str
    name_en: str


@dataclass
class Places:
    """The stations (by code) and districts an admin may narrow the queue to."""

    stations: dict[str, Any]  # code -> row (id, code, name_zh, district_id)
    districts: dict[str, Any]  # code -> row (id, code, name_zh, name_en)
    tags: dict[str, Tag]

    @classmethod
    def of(cls, user_scope: Scope) -> Places:
        """Plain rows, not ORM objects: a city admin's list is every station."""
        session = get_session()
        tags = {t.code: t for t in session.scalars(select(Tag).order_by(Tag.kind, Tag.code))}
        if user_scope.role in (Role.WORKER, Role.STATION_ADMIN):
            return cls({}, {}, tags)
        rows = session.execute(
            select(
                Station.id,
                Station.code,
                Station.name_zh,
                Station.district_id,
                District.code.label("district_code"),
                District.name_zh.label("district_zh"),
                District.name_en.label("district_en"),
            )
            .join(District, District.id == Station.district_id)
            .where(user_scope.stations_clause(Station.id))
            .order_by(Station.district_id, Station.code)
        ).all()
        districts = {
            r.district_code: Area(r.district_id, r.district_code, r.district_zh, r.district_en)
            for r in rows
        }
        return cls({r.code: r for r in rows}, districts, tags)

    def grouped(self) -> list[tuple[Any, list[Any]]]:
        names = {d.id: d for d in self.districts.values()}
        groups: dict[int, tuple[Any, list[Any]]] = {}
        for station in self.stations.values():
            groups.setdefault(station.district_id, (names[station.district_id], []))[1].append(
                station
            )
        return list(groups.values())


def _counts(now: datetime) -> dict[str, int]:
    """Active tickets in my queue (not those referred away), and the views beside it.

    A station's or district's figures come from one statement over its few hundred active
    tickets. The city's would read every active ticket in the city for each page, so each
    figure is its own count, one an index answers (the active-queue order, the station and
    assignee indexes) without visiting the rest."""
    user_scope, session = scope(), get_session()
    figures = {
        "active": None,
        "urgent": ticket_queue.urgent(),
        "overdue": Ticket.due_at < now,
        "mine": Ticket.assignee_id == me().id,
        "incoming": ticket_queue.awaiting_answer(),
        "incoming_overdue": ticket_queue.awaiting_answer(now),
    }
    if user_scope.is_city:
        figures["unassigned"] = ticket_queue.unassigned_station()
    in_queue = (ticket_queue.in_view(user_scope), ticket_queue.active())
    if user_scope.is_city:
        return {
            key: session.scalar(
                select(func.count(Ticket.id)).where(*in_queue, *([] if f is None else [f]))
            )
            or 0
            for key, f in figures.items()
        }
    columns = [
        (func.count(Ticket.id) if f is None else func.count(Ticket.id).filter(f)).label(key)
        for key, f in figures.items()
    ]
    row = session.execute(select(*columns).where(*in_queue)).one()
    found = {key: row._mapping[key] or 0 for key in figures}
    out = session.execute(
        select(
            func.count(Ticket.id),
            func.count(Ticket.id).filter(ticket_queue.awaiting_answer(now)),
        ).where(
            ticket_queue.in_view(user_scope, ticket_queue.REFERRED_OUT),
            ticket_queue.active(),
        )
    ).one()
    found["referred_out"], found["referred_out_overdue"] = out[0] or 0, out[1] or 0
    return found


def _link(**changes: str | None) -> str:
    """This page's query string with ``changes`` (None drops a parameter)."""
    args = {k: v for k, v in request.args.items() if k in KEPT and v}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return "?" + urlencode(args)


def _need(ticket: Ticket, needs: dict[int, list[str]]) -> str:
    """What the caller chose in the menu: the voicemails' menu tags, or the need tags."""
    codes = needs.get(ticket.id) or [t.code for t in ticket.tags if t.kind is TagKind.NEED]
    return "、".join(str(CATEGORIES.get(code, code)) for code in codes)


@bp.get("/")
@login_required
def queue() -> str:
    now, session, user_scope = utcnow(), get_session(), scope()
    places = Places.of(user_scope)
    filters = Filters.from_args(places)
    conditions = filters.conditions(now)
    if filters.after is not None:
        conditions.append(ticket_queue.after(filters.after))
    query = ticket_queue.queue_query(user_scope, *conditions, view=filters.view)
    rows = list(session.scalars(query.limit(PAGE + 1)))
    tickets, more = rows[:PAGE], len(rows) > PAGE
    ids = [t.id for t in tickets]
    lines = ticket_queue.first_lines(session, ids)
    needs = ticket_queue.menu_needs(session, [i for i in ids if i not in lines])
    return render_template(
        "console/queue.html",
        tickets=tickets,
        lines=lines,
        needs={t.id: _need(t, needs) for t in tickets if t.id not in lines},
        referral_of=referrals.latest_of(session, ids),
        notices=referrals.unread_notices(session, user_scope) if filters.referred else [],
        filters=filters,
        places=places,
        tags=places.tags.values(),
        counts=_counts(now),
        now=now,
        page=PAGE,
        next_link=_link(after=ticket_queue.cursor_of(tickets[-1])) if more else None,
        first_link=_link(after=None) if filters.after else None,
        link=_link,
        many_stations=user_scope.role not in (Role.WORKER, Role.STATION_ADMIN),
        query_string=request.query_string.decode(),
    )
