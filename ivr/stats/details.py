"""Per-ticket detail for a report's scope and period: the rows behind the figures.

Tickets opened in the period (local days, each station in its own timezone) at the
stations in scope. Times are on the clock of the scope's timezone (the one most of its
stations keep), which the time columns' headers name. Callers' numbers and names are
personal data: only admins export them (``may_export_personal``); everyone else gets the
number masked and no name.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, and_, false, or_, select
from sqlalchemy.orm import Session, selectinload

from ivr.phone import mask
from ivr.stats.exports import CATEGORY_LABELS, Cell, Table, in_zone, local_time, name_in
from ivr.stats.report import Period, ReportScope
from models import Priority, Role, Station, Ticket, TicketStatus, User

PERSONAL_ROLES = frozenset({Role.STATION_ADMIN, Role.DISTRICT_ADMIN, Role.CITY_ADMIN})
STATUS_LABELS = {
    TicketStatus.OPEN: _l("待回电"),
    TicketStatus.IN_PROGRESS: _l("处理中"),
    TicketStatus.RESOLVED: _l("已结案"),
}
PRIORITY_LABELS = {
    Priority.URGENT: _l("紧急"),
    Priority.HIGH: _l("较急"),
    Priority.NORMAL: _l("一般"),
    Priority.LOW: _l("不急"),
}


def may_export_personal(user: User) -> bool:
    """Whether ``user``'s exports may carry callers' numbers and names.

    Admins (station, district, city) may, for the stations in their scope, which is all
    an export of theirs can cover. Workers see a number only on a ticket assigned to
    them, so their exports mask numbers and leave names out. A disabled user may not.
    """
    return user.active and user.role in PERSONAL_ROLES


def _opened_in(stations: list[Station], period: Period) -> ColumnElement[bool]:
    """Opened on one of the period's local days, read on each station's own clock."""
    by_zone: dict[str, list[int]] = defaultdict(list)
    for station in stations:
        by_zone[station.timezone].append(station.id)
    clauses = []
    for zone, ids in sorted(by_zone.items()):
        start = datetime.combine(period.start, time(), ZoneInfo(zone))
        end = datetime.combine(period.end + timedelta(days=1), time(), ZoneInfo(zone))
        clauses.append(
            and_(Ticket.station_id.in_(ids), Ticket.opened_at >= start, Ticket.opened_at < end)
        )
    return or_(*clauses) if clauses else false()


def tickets_in(session: Session, scope: ReportScope, period: Period) -> list[Ticket]:
    stations = list(session.scalars(select(Station).where(Station.id.in_(scope.station_ids))))
    return list(
        session.scalars(
            select(Ticket)
            .where(_opened_in(stations, period))
            .order_by(Ticket.opened_at, Ticket.id)
            .options(
                selectinload(Ticket.station),
                selectinload(Ticket.referred_from),
                selectinload(Ticket.tags),
                selectinload(Ticket.caller),
            )
        )
    )


def _header(personal: bool, zone: str, period: Period) -> list[Cell]:
    names = [
        _l("工单号"),
        _l("社工站代码"),
        _l("社工站"),
        in_zone(_l("开单时间"), zone, period.end),
        in_zone(_l("首次回电时间"), zone, period.end),
        in_zone(_l("结案时间"), zone, period.end),
        _l("状态"),
        _l("优先级"),
        _l("标签"),
        _l("结案类别"),
        _l("解决问题数"),
        _l("转介自"),
        _l("来电号码"),
    ]
    if personal:
        names.append(_l("来电人姓名"))
    return [str(name) for name in names]


def _priority(value: int) -> str:
    try:
        return str(PRIORITY_LABELS[Priority(value)])
    except ValueError:
        return str(value)


def ticket_row(ticket: Ticket, personal: bool, locale: str, zone: str) -> list[Cell]:
    """One ticket; its times on the clock of ``zone``."""
    station = ticket.station
    category = ticket.resolution_category
    row: list[Cell] = [
        ticket.id,
        station.code if station else "",
        name_in(locale, station.name_zh, station.name_en) if station else "",
        local_time(ticket.opened_at, zone),
        local_time(ticket.first_callback_at, zone),
        local_time(ticket.resolved_at, zone),
        str(STATUS_LABELS[ticket.status]),
        _priority(ticket.priority),
        ";".join(tag.code for tag in ticket.tags),
        str(CATEGORY_LABELS[category.value]) if category else "",
        ticket.problems_solved,
        ticket.referred_from.code if ticket.referred_from else "",
        ticket.caller_number if personal else mask(ticket.caller_number),
    ]
    if personal:
        row.append(ticket.caller.name if ticket.caller else "")
    return row


def ticket_table(
    session: Session, scope: ReportScope, period: Period, personal: bool, locale: str = "zh"
) -> Table:
    """A header and one row per ticket opened in the period at a station in scope."""
    zone = scope.timezone
    with force_locale(locale):
        rows: Table = [_header(personal, zone, period)]
        rows += [ticket_row(t, personal, locale, zone) for t in tickets_in(session, scope, period)]
        return rows


def sheet_title(locale: str = "zh") -> str:
    """The ticket export's one sheet, named in ``locale``."""
    with force_locale(locale):
        return str(_l("工单明细"))
