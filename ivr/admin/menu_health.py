"""菜单健康检查: every live menu in the admin's scope checked at once, problems by severity.

District admins see their district's stations, the city admin every station; station
admins and workers are refused (403), like the other many-station pages. The check itself
is :func:`ivr.menus.lint.lint_stations`, shared with ``ivr menu lint``.
"""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import select

from ivr.admin import bp
from ivr.admin.access import multi_station_required
from ivr.console.common import scope
from ivr.db import get_session
from ivr.menus.lint import SEVERITY_ORDER, lint_stations
from ivr.storage import storage
from models import District, Station


def _districts_in_scope(station_ids: list[int]) -> list[tuple[int, str, str]]:
    """``(id, code, name)`` of each district in scope: plain values, still readable after
    the check ends the request's transaction."""
    if not station_ids:
        return []
    rows = get_session().execute(
        select(District.id, District.code, District.name_zh)
        .where(District.id.in_(select(Station.district_id).where(Station.id.in_(station_ids))))
        .order_by(District.code)
    )
    return [(row.id, row.code, row.name_zh) for row in rows]


@bp.get("/menu-health")
@multi_station_required
def menu_health() -> str:
    session = get_session()
    station_ids = scope().station_ids(session)
    districts = _districts_in_scope(station_ids)
    district = request.args.get("district", "")
    chosen = next((d for d in districts if d[1] == district), None)
    if chosen is not None:
        station_ids = list(
            session.scalars(
                select(Station.id).where(
                    Station.id.in_(station_ids), Station.district_id == chosen[0]
                )
            )
        )
    severity = request.args.get("severity", "")
    wanted = next((s for s in SEVERITY_ORDER if s.value == severity), None)
    report = lint_stations(session, station_ids, storage=storage())
    problems = [p for p in report.problems if wanted is None or p.severity is wanted]
    return render_template(
        "admin/menu_health.html",
        report=report,
        counts=report.counts(),
        problems=problems,
        districts=districts if len(districts) > 1 else [],
        district=chosen[1] if chosen else "",
        severity=wanted.value if wanted else "",
        severities=SEVERITY_ORDER,
    )
