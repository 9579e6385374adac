"""A station's settings pages: profile and opening hours, and the save all settings share.

Every settings form carries the station's ``settings_version``. A save checks it and bumps
it in one conditional UPDATE, so of two admins editing the same station the second is
told who changed the settings meanwhile instead of silently undoing their work; the save
is audited in the same transaction. Roster and tag rules live in ``settings_roster`` and
``settings_tags``; what the forms accept is in ``settings_forms``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.attributes import set_committed_value
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.admin.access import admin_required, audit_change, station_or_404
from ivr.admin.settings_forms import (
    LANGUAGES,
    TIMEZONES,
    WEEKDAY_NAMES,
    Errors,
    Form,
    read_hours,
    read_profile,
)
from ivr.calls.log import call_context
from ivr.console.labels import local_time
from ivr.db import get_session
from ivr.menus.hours import WEEKDAYS
from models import AuditLog, Station, User, utcnow


class SettingsStale(Exception):
    """The station's settings changed since the form was loaded; nothing was saved."""


def sent_version(form: Form) -> int | None:
    text = form.get("settings_version", "")
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def check_version(station: Station, form: Form) -> int:
    """The version the form was loaded at, if it is still the station's; else stale."""
    version = sent_version(form)
    if version != station.settings_version:
        raise SettingsStale
    return version


def save_settings(station: Station, page: str, version: int, changes: dict[str, Any]) -> None:
    """Commit the changes made to ``station`` (and its rows) as one audited settings save.

    The version moves on only if nobody else moved it since ``version``; otherwise (or if
    a concurrent save made a row clash) everything is rolled back and ``SettingsStale``
    raised.
    """
    session = get_session()
    try:
        bumped = session.execute(
            update(Station)
            .where(Station.id == station.id, Station.settings_version == version)
            .values(settings_version=version + 1)
            .execution_options(synchronize_session=False)
        )
        if bumped.rowcount != 1:
            raise SettingsStale
        set_committed_value(station, "settings_version", version + 1)
        session.flush()
    except (SettingsStale, IntegrityError):
        session.rollback()
        raise SettingsStale from None
    audit_change(f"station.{page}", station, changes=changes, settings_version=version + 1)
    session.commit()


def stale_message(station: Station) -> str:
    """Who saved the settings now in force, and when, as far as the audit log says."""
    rows = get_session().scalars(
        select(AuditLog)
        .where(AuditLog.station_id == station.id, AuditLog.action.like("station.%"))
        .order_by(AuditLog.id.desc())
        .limit(20)
    )
    for row in rows:
        if row.detail.get("settings_version") == station.settings_version:
            user = get_session().get(User, row.user_id) if row.user_id else None
            return _(
                "%(who)s 于 %(when)s 修改了本站设置，您这次的修改没有保存。"
                "请核对后重新保存（将覆盖对方的修改）。",
                who=user.display_name if user else "?",
                when=station_time(station, row.at),
            )
    return _("其他人刚修改了本站设置，您这次的修改没有保存。请核对后重新保存（将覆盖对方的修改）。")


def station_time(station: Station, moment: datetime) -> str:
    try:
        return local_time(moment, zone=station.timezone)
    except (KeyError, ValueError):  # an unusable stored zone: show the city's clock
        return local_time(moment)


def changed(station: Station, values: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for each value that differs from the station's."""
    return {
        name: [getattr(station, name), value]
        for name, value in values.items()
        if getattr(station, name) != value
    }


def save_form(
    station: Station,
    page: str,
    read: Callable[[Form], tuple[dict[str, Any], Errors]],
    show: Callable[..., Any],
) -> Any:
    """The POST half of a settings form: refuse a stale or bad one, else save and redirect.

    ``show(errors=…, stale=…, status=…)`` renders the page again with what was typed.
    """
    form = request.form
    try:
        version = check_version(station, form)
    except SettingsStale:
        return show(stale=stale_message(station), status=409)
    values, errors = read(form)
    if errors:
        return show(errors=errors, status=400)
    changes = changed(station, values)
    endpoint = request.endpoint or "admin.station"
    if not changes:
        flash(_("设置没有变化"), "info")
        return redirect(url_for(endpoint, station_id=station.id))
    for name, value in values.items():
        setattr(station, name, value)
    try:
        save_settings(station, page, version, changes)
    except SettingsStale:
        return show(stale=stale_message(station), status=409)
    flash(_("设置已保存"), "info")
    return redirect(url_for(endpoint, station_id=station.id))


def _profile_form(station: Station) -> dict[str, Any]:
    return {
        "name_zh": station.name_zh,
        "name_en": station.name_en,
        "languages": list(station.languages),
        "timezone": station.timezone,
        "ticket_on_abandon": station.ticket_on_abandon,
        "alerts_enabled": station.alerts_enabled,
        "alert_escalation_minutes": station.alert_escalation_minutes,
    }


def _typed_profile(form: Form) -> dict[str, Any]:
    return {
        "name_zh": form.get("name_zh", ""),
        "name_en": form.get("name_en", ""),
        "languages": form.getlist("languages"),
        "timezone": form.get("timezone", ""),
        "ticket_on_abandon": form.get("ticket_on_abandon") == "1",
        "alerts_enabled": form.get("alerts_enabled") == "1",
        "alert_escalation_minutes": form.get("alert_escalation_minutes", ""),
    }


@bp.route("/stations/<int:station_id>/profile", methods=["GET", "POST"])
@admin_required
def profile(station_id: int) -> Response | str | tuple[str, int]:
    station = station_or_404(station_id)

    def show(
        values: dict[str, Any], errors: Errors | None = None, stale: str = "", status: int = 200
    ) -> tuple[str, int]:
        slots = (values["languages"] + ["", "", ""])[:3]
        page = render_template(
            "admin/profile.html",
            station=station,
            form=values,
            language_slots=slots,
            languages=LANGUAGES,
            timezones=TIMEZONES,
            errors=errors or {},
            stale=stale,
        )
        return page, status

    if request.method == "GET":
        return show(_profile_form(station))
    typed = _typed_profile(request.form)
    return save_form(station, "profile", read_profile, lambda **kw: show(typed, **kw))


def _hours_form(station: Station) -> dict[str, Any]:
    weekly = station.opening_hours or {}
    values = {
        f"hours_{day}": ", ".join("-".join(span) for span in weekly.get(day, []))
        for day in WEEKDAYS
    }
    values["holidays"] = "\n".join(station.holidays or [])
    values["twenty_four_hours"] = station.twenty_four_hours
    return values


def _typed_hours(form: Form) -> dict[str, Any]:
    values: dict[str, Any] = {f"hours_{day}": form.get(f"hours_{day}", "") for day in WEEKDAYS}
    values["holidays"] = form.get("holidays", "")
    values["twenty_four_hours"] = form.get("twenty_four_hours") == "1"
    return values


def open_now(station: Station, now: datetime) -> dict[str, Any]:
    """Whether a call now finds the station open, decided exactly as the menu engine does."""
    try:
        local = now.astimezone(ZoneInfo(station.timezone))
        is_open = call_context(station, "", now).hours.is_open(now)
    except (KeyError, ValueError):
        return {"known": False}
    return {
        "known": True,
        "open": is_open,
        "weekday": WEEKDAY_NAMES[WEEKDAYS[local.weekday()]],
        "clock": local.strftime("%Y-%m-%d %H:%M"),
        "holiday": local.date().isoformat() in (station.holidays or []),
    }


@bp.route("/stations/<int:station_id>/hours", methods=["GET", "POST"])
@admin_required
def hours(station_id: int) -> Response | str | tuple[str, int]:
    station = station_or_404(station_id)

    def show(
        values: dict[str, Any], errors: Errors | None = None, stale: str = "", status: int = 200
    ) -> tuple[str, int]:
        page = render_template(
            "admin/hours.html",
            station=station,
            form=values,
            weekdays=[(day, WEEKDAY_NAMES[day]) for day in WEEKDAYS],
            now=open_now(station, utcnow()),
            errors=errors or {},
            stale=stale,
        )
        return page, status

    if request.method == "GET":
        return show(_hours_form(station))
    typed = _typed_hours(request.form)
    return save_form(
        station,
        "hours",
        lambda form: read_hours(form, station.timezone),
        lambda **kw: show(typed, **kw),
    )
