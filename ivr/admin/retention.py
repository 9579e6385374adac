"""Retention periods in the admin pages: a station's own tab, and the defaults a district
admin sets for the district and a city admin for the city (and any district).

A blank period inherits the level above's; each form shows what that would be.
"""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.admin.access import admin_required, multi_station_required, station_or_404
from ivr.admin.settings import SettingsStale, check_version, save_settings, stale_message
from ivr.console.common import audit, me
from ivr.db import get_session
from ivr.privacy.policies import (
    KINDS,
    LEAST_DAYS,
    MOST_DAYS,
    Resolver,
    RetentionInvalid,
    policy_row,
    read_days,
    save_policy,
    scope_key,
)
from models import District, Role

LABELS = {
    "recordings_days": _l("录音（结案后天数）"),
    "transcripts_days": _l("转写文字（结案后天数）"),
    "caller_details_days": _l("来电者姓名、备注和标记（最后联系后天数）"),
}
SOURCES = {
    "station": _l("本站设置"),
    "district": _l("区默认"),
    "city": _l("市默认"),
    "default": _l("系统默认"),
}


def _resolver() -> Resolver:
    return Resolver(get_session(), current_app.config["IVR"])


def _own_values(key: str) -> dict[str, str]:
    row = policy_row(get_session(), key)
    return {
        k: "" if row is None or getattr(row, k) is None else str(getattr(row, k)) for k in KINDS
    }


def _page(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    page = render_template(
        template,
        kinds=KINDS,
        labels=LABELS,
        sources=SOURCES,
        least=LEAST_DAYS,
        most=MOST_DAYS,
        **context,
    )
    return page, status


def _invalid(exc: RetentionInvalid) -> dict[str, str]:
    return {
        exc.field: _(
            "请填写 %(least)d 到 %(most)d 之间的天数，或留空沿用上级设置。",
            least=LEAST_DAYS,
            most=MOST_DAYS,
        )
    }


@bp.route("/stations/<int:station_id>/retention", methods=["GET", "POST"])
@admin_required
def retention(station_id: int) -> Response | str | tuple[str, int]:
    station = station_or_404(station_id)
    key = scope_key(station_id=station.id)

    def show(
        form: dict[str, str],
        errors: dict[str, str] | None = None,
        stale: str = "",
        status: int = 200,
    ):  # type: ignore[no-untyped-def]
        resolver = _resolver()
        return _page(
            "admin/retention.html",
            status,
            station=station,
            form=form,
            effective=resolver.for_station(station),
            inherited=resolver.inherited(station.district_id, station.id),
            errors=errors or {},
            stale=stale,
        )

    if request.method == "GET":
        return show(_own_values(key))
    typed = {k: request.form.get(k, "") for k in KINDS}
    try:
        version = check_version(station, request.form)
        values = read_days(request.form)
    except SettingsStale:
        return show(typed, stale=stale_message(station), status=409)
    except RetentionInvalid as exc:
        return show(typed, errors=_invalid(exc), status=400)
    changes = save_policy(get_session(), values, me().id, station_id=station.id)
    if not changes:
        get_session().rollback()
        flash(_("设置没有变化"), "info")
        return redirect(url_for("admin.retention", station_id=station.id))
    try:
        save_settings(station, "retention", version, changes)
    except SettingsStale:
        return show(typed, stale=stale_message(station), status=409)
    flash(_("设置已保存"), "info")
    return redirect(url_for("admin.retention", station_id=station.id))


def _district_in_scope(district_id: int | None) -> District | None:
    """The district whose defaults are edited: a district admin's own; a city admin's
    choice (None: the city's)."""
    user = me()
    if user.role is Role.DISTRICT_ADMIN:
        return get_session().get(District, user.district_id)
    if district_id is None:
        return None
    return get_session().get(District, district_id) or abort(404)


@bp.route("/retention", methods=["GET", "POST"])
@multi_station_required
def retention_defaults() -> Response | str | tuple[str, int]:
    raw = request.values.get("district", "")
    district = _district_in_scope(int(raw) if raw.isdigit() else None)
    key = scope_key(district_id=district.id if district else None)
    is_city = me().role is Role.CITY_ADMIN
    districts = (
        list(get_session().scalars(select(District).order_by(District.code))) if is_city else []
    )

    def show(form: dict[str, str], errors: dict[str, str] | None = None, status: int = 200):  # type: ignore[no-untyped-def]
        resolver = _resolver()
        district_id = district.id if district else None
        return _page(
            "admin/retention_defaults.html",
            status,
            district=district,
            districts=districts,
            is_city=is_city,
            encrypted=bool(current_app.config["IVR"].storage_keys),
            storage_backend=current_app.config["IVR"].storage_backend,
            form=form,
            effective=resolver.effective(district_id, None),
            inherited=resolver.inherited(district_id, None),
            errors=errors or {},
        )

    if request.method == "GET":
        return show(_own_values(key))
    typed = {k: request.form.get(k, "") for k in KINDS}
    try:
        values = read_days(request.form)
    except RetentionInvalid as exc:
        return show(typed, errors=_invalid(exc), status=400)
    session = get_session()
    changes = save_policy(session, values, me().id, district_id=district.id if district else None)
    if changes:
        action = "retention.district" if district else "retention.city"
        audit(action, "retention", key, None, request.remote_addr, changes=changes)
        session.commit()
        flash(_("设置已保存"), "info")
    else:
        session.rollback()
        flash(_("设置没有变化"), "info")
    target = {"district": district.id} if district and is_city else {}
    return redirect(url_for("admin.retention_defaults", **target))
