"""Block lists in the admin pages: a station's (its admins) and the city's (the city admin).

Each entry is added with a number (written as people write it, stored in E.164 by
``ivr.phone.normalise``), a reason and how long it lasts, and removed by hand; every
change is in the audit log. The call path notices a change at the next call (the list is
cached per process under the call path's change counter).
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.admin.access import admin_required, audit_change, station_or_404
from ivr.calls import block_list
from ivr.calls.block_list import BlockInvalid
from ivr.console.common import audit, me
from ivr.db import get_session
from models import BlockedNumber, Role, Station, User, utcnow

FIELDS = ("number", "reason", "days")
DEFAULT_FORM = {"number": "", "reason": "", "days": "30"}


def _page(
    station: Station | None, form: dict[str, str], errors: dict[str, str], status: int
) -> tuple[str, int]:
    session = get_session()
    rows = block_list.entries(session, station.id if station is not None else None)
    city_rows = block_list.entries(session, None) if station is not None else []
    creators = {row.created_by_id for row in rows + city_rows if row.created_by_id}
    names = {u.id: u.username for u in (session.get(User, i) for i in creators) if u}
    page = render_template(
        "admin/block_list.html" if station is not None else "admin/city_block_list.html",
        station=station,
        rows=rows,
        city_rows=city_rows,
        names=names,
        now=utcnow(),
        timezone=station.timezone if station is not None else "Asia/Shanghai",
        durations=block_list.DURATIONS,
        form=form,
        errors=errors,
        is_city_admin=me().role is Role.CITY_ADMIN,
    )
    return page, status


def _snapshot(row: BlockedNumber) -> dict[str, Any]:
    expires = row.expires_at.isoformat() if row.expires_at else None
    return {"number": row.number, "reason": row.reason, "expires_at": expires}


def _change(station: Station | None) -> tuple[str, int] | Response:
    """Add or remove an entry of ``station``'s list (None: the city's), audited."""
    session = get_session()
    station_id = station.id if station is not None else None
    typed = {name: request.form.get(name, "").strip() for name in FIELDS}
    action = request.form.get("action", "")
    if action == "add":
        try:
            entry = (typed["number"], typed["reason"], typed["days"])
            row = block_list.add_entry(session, station_id, entry, me(), utcnow())
        except BlockInvalid as exc:
            return _page(station, typed, {exc.field: str(exc)}, 400)
        detail = _snapshot(row)
        message = _("已将 %(number)s 加入拉黑名单", number=row.number)
    elif action == "remove":
        row = block_list.entry_of(session, station_id, request.form.get("entry", ""))
        if row is None:
            abort(404)  # another list's entry, or gone already
        detail = _snapshot(row)
        session.delete(row)
        message = _("已将 %(number)s 移出拉黑名单", number=row.number)
    else:
        return _page(station, typed, {"action": _("未知的操作")}, 400)
    event = f"block_list.{action}"
    if station is not None:
        audit_change(event, station, **detail)
    else:
        audit(event, "block_list", "city", None, request.remote_addr, **detail)
    session.commit()
    flash(message, "info")
    if station is not None:
        return redirect(url_for("admin.station_block_list", station_id=station.id))
    return redirect(url_for("admin.city_block_list"))


@bp.route("/stations/<int:station_id>/blocked", methods=["GET", "POST"])
@admin_required
def station_block_list(station_id: int) -> Response | tuple[str, int]:
    station = station_or_404(station_id)
    if request.method == "GET":
        return _page(station, DEFAULT_FORM, {}, 200)
    return _change(station)


@bp.route("/blocked", methods=["GET", "POST"])
@admin_required
def city_block_list() -> Response | tuple[str, int]:
    if me().role is not Role.CITY_ADMIN:
        abort(403)
    if request.method == "GET":
        return _page(None, DEFAULT_FORM, {}, 200)
    return _change(None)
