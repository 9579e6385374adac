"""The on-duty roster: the phones a "speak to a worker" forward rings, in ring order.

One page lists the roster; each change (add, remove, deactivate, activate, move up or
down) is a small form posting back to it, carrying the settings version like every
settings form, and saved and audited as one settings save.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.admin.access import admin_required, station_or_404
from ivr.admin.settings import SettingsStale, check_version, save_settings, stale_message
from ivr.admin.settings_forms import ROSTER_MAX, Errors, read_phone
from ivr.db import get_session
from models import HotlineNumber, OnDutyPhone, Station

ACTIONS = ("add", "remove", "deactivate", "activate", "up", "down")


def ordered(station: Station) -> list[OnDutyPhone]:
    return sorted(station.on_duty_phones, key=lambda p: (p.position, p.id or 0))


def snapshot(phones: list[OnDutyPhone]) -> list[list[Any]]:
    """The roster as the audit log records it: number, name, active, in ring order."""
    return [[p.number, p.name, p.active] for p in phones]


def _show(
    station: Station,
    typed: dict[str, str] | None = None,
    errors: Errors | None = None,
    stale: str = "",
    status: int = 200,
) -> tuple[str, int]:
    page = render_template(
        "admin/roster.html",
        station=station,
        phones=ordered(station),
        form=typed or {"number": "", "name": ""},
        errors=errors or {},
        stale=stale,
        roster_max=ROSTER_MAX,
    )
    return page, status


def _phone(phones: list[OnDutyPhone], raw: str) -> OnDutyPhone:
    """The roster phone a form names; another station's (or no) phone is 404."""
    for phone in phones:
        if str(phone.id) == raw:
            return phone
    abort(404)


def _add(station: Station, phones: list[OnDutyPhone]) -> tuple[str | None, Errors]:
    def is_hotline(number: str) -> bool:
        found = select(HotlineNumber.id).where(HotlineNumber.number == number)
        return get_session().scalar(found) is not None

    values, errors = read_phone(request.form, {p.number for p in phones}, is_hotline, len(phones))
    if errors:
        return None, errors
    phone = OnDutyPhone(number=values["number"], name=values["name"], active=True)
    station.on_duty_phones.append(phone)
    phones.append(phone)
    return _("已添加 %(number)s", number=phone.number), {}


def _change(station: Station, phones: list[OnDutyPhone], action: str) -> tuple[str, Errors]:
    """Remove, (de)activate or move the phone the form names; the message to flash."""
    phone = _phone(phones, request.form.get("phone", ""))
    if action == "remove":
        station.on_duty_phones.remove(phone)
        phones.remove(phone)
        return _("已删除 %(number)s", number=phone.number), {}
    if action in ("activate", "deactivate"):
        phone.active = action == "activate"
        if phone.active:
            return _("已启用 %(number)s", number=phone.number), {}
        return _("已停用 %(number)s", number=phone.number), {}
    index = phones.index(phone)
    target = index - 1 if action == "up" else index + 1
    if not 0 <= target < len(phones):
        return "", {"action": _("%(number)s 已经在最前或最后", number=phone.number)}
    phones[index], phones[target] = phones[target], phones[index]
    return _("已调整 %(number)s 的顺序", number=phone.number), {}


@bp.route("/stations/<int:station_id>/roster", methods=["GET", "POST"])
@admin_required
def roster(station_id: int) -> Response | tuple[str, int]:
    station = station_or_404(station_id)
    if request.method == "GET":
        return _show(station)
    form = request.form
    action = form.get("action", "")
    typed = {"number": form.get("number", ""), "name": form.get("name", "")}
    if action not in ACTIONS:
        return _show(station, typed, {"action": _("未知的操作")}, status=400)
    try:
        version = check_version(station, form)
    except SettingsStale:
        return _show(station, typed, stale=stale_message(station), status=409)
    phones = ordered(station)
    before = snapshot(phones)
    if action == "add":
        message, errors = _add(station, phones)
    else:
        message, errors = _change(station, phones, action)
    if errors:
        get_session().rollback()
        return _show(station, typed, errors, status=400)
    after = snapshot(phones)
    if after == before:
        flash(_("设置没有变化"), "info")
        return redirect(url_for("admin.roster", station_id=station.id))
    for position, phone in enumerate(phones):
        phone.position = position
    try:
        save_settings(station, "roster", version, {"on_duty_phones": [before, after]})
    except SettingsStale:
        return _show(station, typed, stale=stale_message(station), status=409)
    flash(message, "info")
    return redirect(url_for("admin.roster", station_id=station.id))
