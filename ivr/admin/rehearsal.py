"""The test call page: play a station's menu in the browser, key by key, writing nothing.

The page carries the call between steps in hidden fields; ``ivr.menus.rehearsal`` checks them
and drives the menu engine. Starting needs a menu that passes validation.
"""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from flask import abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ivr.admin import bp
from ivr.admin.access import admin_required, station_or_404
from ivr.db import get_session
from ivr.menus import rehearsal as service
from ivr.menus.document import DTMF_KEYS
from ivr.menus.engine import MenuLoop, MenuPositionInvalid
from ivr.menus.sources import MenuSource, menu_sources, pick_source
from ivr.menus.validate import MenuInvalid
from ivr.phone import PhoneInvalid, normalise
from models import Station

LOCAL_FORMAT = "%Y-%m-%dT%H:%M"
PRIORITIES = {"urgent": _l("紧急"), "high": _l("较急"), "normal": _l("一般"), "low": _l("不急")}
KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")
assert sorted(KEYPAD) == sorted(DTMF_KEYS)


def station_zone(station: Station) -> ZoneInfo:
    try:
        return ZoneInfo(station.timezone)
    except (KeyError, ValueError):  # an unusable stored zone: the city's clock
        return ZoneInfo("Asia/Shanghai")


def read_moment(station: Station, text: str) -> datetime | None:
    """A datetime-local value in the station's timezone; None if it is not one."""
    try:
        moment = datetime.fromisoformat(text.strip()) if 0 < len(text) <= 32 else None
    except ValueError:
        return None
    if moment is None or moment.tzinfo is not None:
        return None
    return moment.replace(tzinfo=station_zone(station))


def source_label(source: MenuSource) -> str:
    version = source.version
    if source.choice == "draft" and version is not None:
        return _("最新草稿（第%(n)s版）", n=version.version)
    if source.choice == "live":
        if version is None:
            return _("当前生效（默认模板）")
        return _("当前生效（第%(n)s版）", n=version.version)
    assert version is not None
    if version.status.value == "draft":
        return _("第%(n)s版（草稿）", n=version.version)
    return _("第%(n)s版（已发布）", n=version.version)


def prompt_url(entry: dict[str, Any]) -> str | None:
    """Where the page can play a prompt file from, once the prompt library serves them."""
    if "prompts.file" not in current_app.view_functions:
        return None
    if str(entry.get("play", "")).startswith("https://"):
        return str(entry["play"])
    return url_for("prompts.file", menu_ref=entry.get("menu", ""), name=entry.get("play", ""))


def editor_url(station: Station) -> str | None:
    if "admin.menu_editor" in current_app.view_functions:
        return url_for("admin.menu_editor", station_id=station.id)
    return None


@bp.route("/stations/<int:station_id>/test-call", methods=["GET", "POST"])
@admin_required
def test_call(station_id: int):  # type: ignore[no-untyped-def]
    station = station_or_404(station_id)
    sources = menu_sources(get_session(), station)
    if request.method == "GET":
        source = pick_source(sources, request.args.get("version"))
        if source is None:
            abort(404)
        at_text = datetime.now(station_zone(station)).strftime(LOCAL_FORMAT)
        caller = request.args.get("caller", "")[:40]
        return _page(
            station, sources, source, at_text, problems=_problems(station, source), caller=caller
        )
    if "event" not in request.form and "key" not in request.form:
        abort(400)
    if request.form.get("event") == "start":
        return _start(station, sources)
    return _step(station, sources)


def _problems(station: Station, source: MenuSource) -> list[Any]:
    try:
        service.check_menu(get_session(), station, source)
    except MenuInvalid as error:
        return list(error.errors)
    return []


def _start(station: Station, sources: list[MenuSource]):  # type: ignore[no-untyped-def]
    form = request.form
    at_text = form.get("at", "")[:32]
    errors: dict[str, str] = {}
    source = pick_source(sources, form.get("version", "")[:20] or "live")
    if source is None:
        errors["version"] = _("没有这个菜单版本")
    at = read_moment(station, at_text)
    if at is None:
        errors["at"] = _("请填写日期和时间，例如 2026-03-01T09:30")
    caller_text = form.get("caller", "")[:40].strip()
    number = None
    try:
        number = normalise(caller_text) if caller_text else None
    except PhoneInvalid as error:
        errors["caller"] = str(error)
    chosen = source or pick_source(sources, None)
    assert chosen is not None
    page = partial(_page, station, sources, chosen, at_text, caller=caller_text)
    if errors:
        return page(errors=errors, status=400)
    assert source is not None and at is not None
    try:
        progress = service.begin(get_session(), station, source, at, number)
    except MenuInvalid as error:
        return page(problems=error.errors, status=400)
    except (MenuPositionInvalid, MenuLoop) as error:
        return page(failure=str(error), status=400)
    return page(progress=progress)


def _step(station: Station, sources: list[MenuSource]):  # type: ignore[no-untyped-def]
    form = request.form
    choice = form.get("version", "")[:20]
    source = pick_source(sources, choice) or pick_source(sources, None)
    assert source is not None
    at_text = form.get("at", "")[:32]
    page = partial(_page, station, sources, source, at_text, caller=form.get("caller", "")[:40])
    try:
        state = _state(station, form)
        event = "key" if "key" in form else form.get("event", "")
        progress = service.advance(get_session(), station, state, event, form.get("key", "")[:2])
    except (service.TestCallInvalid, MenuPositionInvalid, MenuLoop) as error:
        return page(failure=str(error), status=400)
    return page(progress=progress)


def _state(station: Station, form: Any) -> service.CallState:
    at = read_moment(station, form.get("at", ""))
    if at is None:
        raise service.TestCallInvalid("the simulated time is missing")
    position = service.read_position(
        form.get("node", ""),
        form.get("language", ""),
        form.get("attempt", ""),
        form.get("ring", ""),
    )
    return service.CallState(
        origin=form.get("origin", "")[:20],
        menu=form.get("menu", "")[:20],
        position=position,
        need=service.read_need(form.get("need", "")),
        at=at,
        transcript=service.read_transcript(form.get("transcript", "")),
    )


def _page(  # type: ignore[no-untyped-def]
    station: Station,
    sources: list[MenuSource],
    source: MenuSource,
    at_text: str,
    *,
    progress: service.Progress | None = None,
    problems: list[Any] | None = None,
    errors: dict[str, str] | None = None,
    failure: str | None = None,
    status: int = 200,
    caller: str = "",
):
    return (
        render_template(
            "admin/test_call.html",
            station=station,
            sources=[(s, source_label(s)) for s in sources],
            source=source,
            at_text=at_text,
            caller_text=caller,
            zone=station_zone(station).key,
            progress=progress,
            problems=problems or [],
            errors=errors or {},
            failure=failure,
            editor_url=editor_url(station),
            keypad=KEYPAD,
            priorities=PRIORITIES,
            prompt_url=prompt_url,
            dump_transcript=service.dump_transcript,
        ),
        status,
    )
