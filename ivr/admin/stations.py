"""The admin's way in: the stations they manage, and one station's settings tabs."""

from __future__ import annotations

from flask import current_app, redirect, render_template, url_for
from flask_babel import lazy_gettext as _l

from ivr.admin import bp
from ivr.admin.access import MULTI_STATION_ROLES, admin_required, admin_stations, station_or_404
from ivr.console.common import me

# (endpoint, label) for each tab of a station's admin pages, in order. A tab whose page
# is not registered is left out, so the bar always links to pages that exist.
STATION_TABS = (
    ("admin.profile", _l("基本信息")),
    ("admin.hours", _l("开放时间")),
    ("admin.messages", _l("短信回执")),
    ("admin.roster", _l("值班电话")),
    ("admin.tag_rules", _l("标签规则与时限")),
    ("admin.retention", _l("保留期限")),
    ("admin.station_block_list", _l("拉黑名单")),
    ("admin.prompts", _l("录音库")),
    ("admin.menu_editor", _l("语音菜单")),
    ("admin.menu_history", _l("版本历史")),
    ("admin.menu_diagram", _l("菜单图")),
    ("admin.test_call", _l("模拟来电")),
)


def station_tabs() -> list[tuple[str, object]]:
    return [(e, label) for e, label in STATION_TABS if e in current_app.view_functions]


@bp.get("/")
@admin_required
def index():  # type: ignore[no-untyped-def]
    stations = admin_stations()
    if len(stations) == 1:
        return redirect(url_for("admin.station", station_id=stations[0].id))
    can_bulk = me().role in MULTI_STATION_ROLES and "admin.bulk" in current_app.view_functions
    return render_template("admin/index.html", stations=stations, can_bulk=can_bulk)


@bp.get("/stations/<int:station_id>")
@admin_required
def station(station_id: int):  # type: ignore[no-untyped-def]
    station_or_404(station_id)
    tabs = station_tabs()
    if not tabs:
        return render_template("admin/station.html", station=station_or_404(station_id))
    return redirect(url_for(tabs[0][0], station_id=station_id))
