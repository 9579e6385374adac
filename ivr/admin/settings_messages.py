"""A station's acknowledgement text: on or off, its wording per language, quiet hours.

Saved like every settings page (``settings.save_form``: the version check, the audit).
"""

from __future__ import annotations

from typing import Any

from flask import render_template, request
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.admin.access import admin_required, station_or_404
from ivr.admin.settings import save_form
from ivr.admin.settings_forms import LANGUAGES, Errors, Form
from ivr.outreach.acknowledgement import (
    DEFAULT_TEXTS,
    MAX_TEXT_CHARS,
    PLACEHOLDERS,
    TextInvalid,
    placeholders,
    render,
)
from ivr.outreach.quiet_hours import parse_clock
from models import Station


def _text_error(text: str) -> str | None:
    if len(text) > MAX_TEXT_CHARS:
        return _("最多%(n)d个字", n=MAX_TEXT_CHARS)
    if not text.isprintable():
        return _("短信内容里不能有控制字符或换行")
    try:
        names = placeholders(text)
    except TextInvalid:
        return _("花括号不成对：只能用 {station} 和 {hours}")
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        return _("不认识的占位符 {%(name)s}：只能用 {station} 和 {hours}", name=unknown[0])
    return None


def read_messages(form: Form, languages: list[str]) -> tuple[dict[str, Any], Errors]:
    """The acknowledgement settings as typed; a text equal to the built-in one is not kept."""
    errors: Errors = {}
    texts: dict[str, str] = {}
    for language in languages:
        name = f"text_{language}"
        text = " ".join(form.get(name, "").split())
        problem = _text_error(text)
        if problem:
            errors[name] = problem
        elif text and text != DEFAULT_TEXTS.get(language):
            texts[language] = text
    clocks = {}
    for name in ("quiet_hours_start", "quiet_hours_end"):
        typed = form.get(name, "").strip()
        if parse_clock(typed) is None:
            errors[name] = _("请按 HH:MM 填写 24 小时制时间，如 21:00")
        clocks[name] = typed
    values = {
        "acknowledge_by_sms": form.get("acknowledge_by_sms") == "1",
        "acknowledgement_texts": texts,
    }
    return {**values, **clocks}, errors


def _form(station: Station) -> dict[str, Any]:
    texts = station.acknowledgement_texts or {}
    values: dict[str, Any] = {
        f"text_{lang}": texts.get(lang) or DEFAULT_TEXTS.get(lang, "") for lang in station.languages
    }
    values["acknowledge_by_sms"] = station.acknowledge_by_sms
    values["quiet_hours_start"] = station.quiet_hours_start
    values["quiet_hours_end"] = station.quiet_hours_end
    return values


def _typed(form: Form, languages: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {f"text_{lang}": form.get(f"text_{lang}", "") for lang in languages}
    values["acknowledge_by_sms"] = form.get("acknowledge_by_sms") == "1"
    values["quiet_hours_start"] = form.get("quiet_hours_start", "")
    values["quiet_hours_end"] = form.get("quiet_hours_end", "")
    return values


@bp.route("/stations/<int:station_id>/messages", methods=["GET", "POST"])
@admin_required
def messages(station_id: int) -> Response | str | tuple[str, int]:
    station = station_or_404(station_id)
    languages = list(station.languages or ["zh"])

    def show(
        values: dict[str, Any], errors: Errors | None = None, stale: str = "", status: int = 200
    ) -> tuple[str, int]:
        page = render_template(
            "admin/messages.html",
            station=station,
            form=values,
            languages=[(lang, LANGUAGES.get(lang, lang)) for lang in languages],
            samples={lang: render(station, None, lang) for lang in languages},
            errors=errors or {},
            stale=stale,
        )
        return page, status

    if request.method == "GET":
        return show(_form(station))
    typed = _typed(request.form, languages)
    return save_form(
        station,
        "messages",
        lambda form: read_messages(form, languages),
        lambda **kw: show(typed, **kw),
    )
