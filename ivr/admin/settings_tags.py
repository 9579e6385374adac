"""A station's keyword tag rules and its call-back time limits (SLA).

The station's own rules (``TagRule.station_id`` = the station) are added, deactivated or
removed here; the global rules (no station) and the built-in keywords are shown read-only.
The worker's pipeline (``voicemail_pipeline.keyword_rules``) reads the active global and
station rules for every transcript, so a rule saved here tags the next voicemail.
"""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import contains_eager
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.admin.access import admin_required, station_or_404
from ivr.admin.settings import (
    SettingsStale,
    check_version,
    save_form,
    save_settings,
    stale_message,
)
from ivr.admin.settings_forms import (
    LANGUAGES,
    RULE_TAGS,
    SLA_NORMAL,
    SLA_URGENT,
    Errors,
    read_rule,
    read_sla,
)
from ivr.db import get_session
from ivr.tickets.tags import CATALOGUE, get_tags
from models import Station, Tag, TagRule
from transcription.tagging import DEFAULT_RULES

ACTIONS = ("add", "remove", "deactivate", "activate", "sla")
RULE_FIELDS = ("tag", "custom_tag", "language", "keyword")


def tag_name(tag: Tag | str) -> str:
    """A tag as people read it, in the interface language."""
    code = tag if isinstance(tag, str) else tag.code
    english = str(get_locale()) == "en"
    if code in CATALOGUE:
        name_zh, name_en, _kind = CATALOGUE[code]
        return name_en if english else name_zh
    if isinstance(tag, Tag):
        return (tag.name_en if english and tag.name_en else tag.name_zh) or code
    return code


def station_rules(station: Station) -> list[TagRule]:
    return list(
        get_session().scalars(
            select(TagRule)
            .join(TagRule.tag)
            .options(contains_eager(TagRule.tag))
            .where(TagRule.station_id == station.id)
            .order_by(Tag.code, TagRule.language, TagRule.keyword)
        )
    )


def snapshot(rules: list[TagRule]) -> list[list[Any]]:
    """The rules as the audit log records them: tag, language, keyword, active."""
    return sorted([r.tag.code, r.language, r.keyword, r.active] for r in rules)


def _builtin() -> dict[str, list[str]]:
    keywords: dict[str, list[str]] = {}
    for rule in DEFAULT_RULES:
        keywords.setdefault(rule.tag, []).append(rule.keyword)
    return {tag: list(dict.fromkeys(words)) for tag, words in keywords.items()}


def _show(
    station: Station,
    rule_form: dict[str, str] | None = None,
    sla_form: dict[str, Any] | None = None,
    errors: Errors | None = None,
    stale: str = "",
    status: int = 200,
) -> tuple[str, int]:
    global_rules = get_session().scalars(
        select(TagRule)
        .join(TagRule.tag)
        .options(contains_eager(TagRule.tag))
        .where(TagRule.station_id.is_(None))
        .order_by(Tag.code, TagRule.language, TagRule.keyword)
    )
    page = render_template(
        "admin/tag_rules.html",
        station=station,
        rules=station_rules(station),
        global_rules=list(global_rules),
        builtin=_builtin(),
        rule_tags=RULE_TAGS,
        languages=LANGUAGES,
        tag_name=tag_name,
        rule_form=rule_form or {"tag": "", "custom_tag": "", "language": "zh", "keyword": ""},
        sla_form=sla_form
        or {
            "sla_urgent_minutes": station.sla_urgent_minutes,
            "sla_normal_minutes": station.sla_normal_minutes,
        },
        sla_urgent=SLA_URGENT,
        sla_normal=SLA_NORMAL,
        errors=errors or {},
        stale=stale,
    )
    return page, status


def _add(station: Station, rules: list[TagRule]) -> tuple[str, Errors]:
    existing = {(r.tag.code, r.language, r.keyword.lower()) for r in rules}
    values, errors = read_rule(request.form, existing, len(rules))
    if errors:
        return "", errors
    session = get_session()
    (tag,) = get_tags(session, [values["tag"]])
    rule = TagRule(
        station_id=station.id,
        tag=tag,
        language=values["language"],
        keyword=values["keyword"],
        active=True,
    )
    session.add(rule)
    rules.append(rule)
    return _("已添加关键词“%(keyword)s”", keyword=values["keyword"]), {}


def _change(rules: list[TagRule], action: str) -> str:
    raw = request.form.get("rule", "")
    rule = next((r for r in rules if str(r.id) == raw), None)
    if rule is None:
        abort(404)  # not this station's rule: the global ones are read-only here
    if action == "remove":
        get_session().delete(rule)
        rules.remove(rule)
        return _("已删除关键词“%(keyword)s”", keyword=rule.keyword)
    rule.active = action == "activate"
    if rule.active:
        return _("已启用关键词“%(keyword)s”", keyword=rule.keyword)
    return _("已停用关键词“%(keyword)s”", keyword=rule.keyword)


@bp.route("/stations/<int:station_id>/tags", methods=["GET", "POST"])
@admin_required
def tag_rules(station_id: int) -> Response | tuple[str, int]:
    station = station_or_404(station_id)
    if request.method == "GET":
        return _show(station)
    form = request.form
    action = form.get("action", "")
    if action == "sla":
        typed = {name: form.get(name, "") for name in ("sla_urgent_minutes", "sla_normal_minutes")}
        return save_form(
            station, "tag_rules", read_sla, lambda **kw: _show(station, sla_form=typed, **kw)
        )
    typed = {name: form.get(name, "") for name in RULE_FIELDS}
    if action not in ACTIONS:
        return _show(station, typed, errors={"action": _("未知的操作")}, status=400)
    try:
        version = check_version(station, form)
    except SettingsStale:
        return _show(station, typed, stale=stale_message(station), status=409)
    rules = station_rules(station)
    before = snapshot(rules)
    if action == "add":
        message, errors = _add(station, rules)
        if errors:
            return _show(station, typed, errors=errors, status=400)
    else:
        message = _change(rules, action)
    after = snapshot(rules)
    if after == before:
        flash(_("设置没有变化"), "info")
        return redirect(url_for("admin.tag_rules", station_id=station.id))
    try:
        save_settings(station, "tag_rules", version, {"tag_rules": [before, after]})
    except SettingsStale:
        return _show(station, typed, stale=stale_message(station), status=409)
    flash(message, "info")
    return redirect(url_for("admin.tag_rules", station_id=station.id))
