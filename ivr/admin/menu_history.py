"""A station's menu versions: who saved which when, what changed, and rollback."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.admin.access import admin_required, audit_change, station_or_404
from ivr.console.common import me
from ivr.console.labels import local_time
from ivr.db import get_session
from ivr.menus import drafts
from ivr.menus.diff import MenuDiff, diff
from ivr.menus.validate import MenuInvalid
from ivr.menus.versions import published_version
from models import MenuStatus, MenuTemplate, MenuVersion, Station, User


def version_status(version: MenuVersion | None, live: MenuVersion | None) -> str:
    """What the editor has open: an unsaved default, a draft or a published version."""
    if version is None:
        return _("未保存的默认模板")
    if version.status is MenuStatus.DRAFT:
        return _("草稿 第%(n)d版", n=version.version)
    if live is not None and live.id == version.id:
        return _("已发布 第%(n)d版（线上）", n=version.version)
    return _("已发布 第%(n)d版", n=version.version)


def author_name(version: MenuVersion) -> str:
    if version.created_by_id is None:
        return _("系统")
    user = get_session().get(User, version.created_by_id)
    return (user.display_name or user.username) if user is not None else _("已删除的用户")


def version_label(number: int) -> str:
    return _("第%(n)d版", n=number) if number else _("默认模板")


@bp.get("/stations/<int:station_id>/menu/history")
@admin_required
def menu_history(station_id: int) -> str | tuple[str, int]:
    station = station_or_404(station_id)
    session = get_session()
    rows = drafts.versions(session, station.id)
    live = published_version(session, station.id)
    users = _by_id(User, {r.created_by_id for r in rows})
    templates = _by_id(MenuTemplate, {r.template_id for r in rows})
    a, b = _compared(rows, live)
    comparison, problem = None, None
    if a is not None and b is not None:
        try:
            comparison = _comparison(station, a, b)
        except drafts.UnknownVersion:
            problem = _("没有这个版本，无法比较")
    return render_template(
        "admin/menu_history.html",
        station=station,
        rows=rows,
        live=live,
        users=users,
        templates=templates,
        latest=rows[0].version if rows else 0,
        a=a,
        b=b,
        comparison=comparison,
        compare_problem=problem,
        version_label=version_label,
    ), (404 if problem else 200)


@bp.post("/stations/<int:station_id>/menu/history/<int:number>/rollback")
@admin_required
def menu_rollback(station_id: int, number: int) -> Response:
    station = station_or_404(station_id)
    session = get_session()
    base = request.form.get("base_version", "")
    if not (base.isascii() and base.isdigit() and len(base) < 10):
        abort(400)
    back = redirect(url_for("admin.menu_history", station_id=station.id))
    try:
        version = drafts.rollback(session, station, number, me(), int(base))
    except drafts.UnknownVersion:
        abort(404)
    except drafts.AlreadyLive:
        flash(_("第%(n)d版已经是线上版本。", n=number), "error")
        return back
    except drafts.StaleEdit as stale:
        session.rollback()
        flash(stale_message(stale.latest, int(base)), "error")
        return back
    except MenuInvalid as invalid:
        session.rollback()
        flash(_("第%(n)d版现在无法发布：%(reason)s", n=number, reason=invalid), "error")
        return back
    audit_change("menu.rollback", station, version=version.version, from_version=number)
    session.commit()
    flash(_("已回滚：第%(old)d版的内容已发布为第%(n)d版。", old=number, n=version.version), "info")
    return back


def stale_message(latest: MenuVersion, base_version: int) -> str:
    return _(
        "%(who)s 在 %(when)s 保存了第%(n)d版，而你打开的是%(base)s。",
        who=author_name(latest),
        when=_local(latest),
        n=latest.version,
        base=version_label(base_version),
    )


def _local(version: MenuVersion) -> str:
    return local_time(version.created_at, zone=version.station.timezone)


def _compared(rows: list[MenuVersion], live: MenuVersion | None) -> tuple[int | None, int | None]:
    """The two versions to compare: from the query, else the newest against what it changes.

    A newest draft is compared with the live version; a newest published version with the
    one that was live before it (not with the draft it was published from, which usually
    holds the very same text). The default template stands in for "nothing before"."""
    a, b = request.args.get("a", ""), request.args.get("b", "")
    if (a + b).isascii() and a.isdigit() and b.isdigit() and len(a) < 10 and len(b) < 10:
        return int(a), int(b)
    if not rows:
        return None, None
    newest = rows[0]
    if newest.status is MenuStatus.DRAFT:
        return (live.version if live is not None else 0), newest.version
    before = [r.version for r in rows[1:] if r.status is MenuStatus.PUBLISHED]
    return (before[0] if before else 0), newest.version


def _comparison(station: Station, a: int, b: int) -> MenuDiff:
    session = get_session()
    a_text, b_text = drafts.text_of(session, station, a), drafts.text_of(session, station, b)
    return diff(a_text, b_text, version_label(a), version_label(b))


def _by_id(model: Any, ids: set[int | None]) -> dict[int, Any]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return {row.id: row for row in get_session().scalars(select(model).where(model.id.in_(wanted)))}
