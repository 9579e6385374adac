"""The menu editor page: a tree form and a YAML view of one document, live validation,
drafts and publishing.

The tree editor keeps the document as its plain mapping in the browser; the server turns
it into YAML (and YAML back into the mapping) and validates with the very ``parse_menu``
that ``ivr menu validate`` uses. Without JavaScript the YAML textarea alone still works.
"""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import select
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.admin.access import admin_required, audit_change, station_or_404
from ivr.admin.menu_history import stale_message, version_label, version_status
from ivr.console.common import me
from ivr.db import get_session
from ivr.edge.body_limits import body_allowance
from ivr.menus import drafts
from ivr.menus.diff import diff
from ivr.menus.document import FORWARD_STRATEGIES, PRIORITIES
from ivr.menus.fields import RATE_WORDS
from ivr.menus.locate import locate
from ivr.menus.node_fields import KIND_FIELDS
from ivr.menus.prompts import prompt_names
from ivr.menus.validate import MenuInvalid
from models import Station

try:
    from ivr.menus.voices import VOICES
except ImportError:  # the voice list is optional: without it any Twilio voice name is typed
    VOICES = None  # type: ignore[assignment]

MAX_BODY_BYTES = 1_000_000
# Offered in the editor's speech-rate fields; any rate the validator takes may be typed.
SPEECH_RATE_CHOICES = ("70%", "85%", "100%", *RATE_WORDS)
MAX_NOTE_CHARS = 500


@bp.get("/stations/<int:station_id>/menu")
@admin_required
def menu_editor(station_id: int) -> str:
    station = station_or_404(station_id)
    doc = drafts.editor_document(get_session(), station)
    return render_editor(station, doc, doc.text, doc.base_version)


@bp.post("/stations/<int:station_id>/menu")
@admin_required
@body_allowance(MAX_BODY_BYTES)
def menu_save(station_id: int) -> Response | tuple[str, int]:
    station = station_or_404(station_id)
    session = get_session()
    action = request.form.get("action")
    base = request.form.get("base_version", "")
    text = submitted_text()
    if (
        action not in ("draft", "publish", "edit")
        or not (base.isascii() and base.isdigit() and len(base) < 10)
        or text is None
    ):
        abort(400)
    base_version = int(base)
    note = request.form.get("note", "").replace("\x00", "").strip()
    doc = drafts.editor_document(session, station)
    if len(note) > MAX_NOTE_CHARS:
        error = _("备注不能超过%(n)d字", n=MAX_NOTE_CHARS)
        return render_editor(station, doc, text, base_version, note=note, note_error=error), 422
    if action == "edit":  # back from the publish review, the text as it was
        return render_editor(station, doc, text, base_version, note=note)
    if action == "publish" and request.form.get("confirmed") != "1":
        return publish_review(station, doc, text, base_version, note)
    save = drafts.publish if action == "publish" else drafts.save_draft
    try:
        saved = save(session, station, text, me(), base_version, note)
    except drafts.StaleEdit as stale:
        session.rollback()
        return render_editor(station, doc, text, base_version, note=note, stale=stale.latest), 409
    except MenuInvalid as invalid:
        session.rollback()
        refusal = _refusal(action, invalid)
        return render_editor(station, doc, text, base_version, note=note, refusal=refusal), 422
    if not saved.created:
        flash(_("内容没有变化，没有保存新版本。"), "info")
        return redirect(url_for("admin.menu_editor", station_id=station.id))
    version = saved.version
    audit_change(f"menu.{action}", station, version=version.version, note=note)
    session.commit()
    if action == "publish":
        flash(_("已发布第%(n)d版，来电者从下一通电话起听到它。", n=version.version), "info")
    else:
        flash(_("已保存草稿：第%(n)d版。", n=version.version), "info")
    return redirect(url_for("admin.menu_editor", station_id=station.id))


def _refusal(action: str, invalid: MenuInvalid) -> str:
    if action == "publish":
        return _("没有发布：菜单有 %(n)d 个问题，线上版本没有改变。", n=len(invalid.errors))
    return _("没有保存：%(reason)s", reason=invalid)


def publish_review(
    station: Station, doc: drafts.EditorDocument, text: str, base_version: int, note: str
) -> str | tuple[str, int]:
    """Before publishing: what callers would hear that they do not hear now, to confirm.

    A menu that could not be published, or a newer version saved meanwhile, goes back to
    the editor at once, as publishing itself would."""
    session = get_session()
    try:
        drafts.validate(session, station, text)
        drafts.check_fresh(session, station, base_version)
    except drafts.StaleEdit as stale:
        return render_editor(station, doc, text, base_version, note=note, stale=stale.latest), 409
    except MenuInvalid as invalid:
        refusal = _refusal("publish", invalid)
        return render_editor(station, doc, text, base_version, note=note, refusal=refusal), 422
    live_number = doc.live.version if doc.live is not None else 0
    live_label = _("线上：%(version)s", version=version_label(live_number))
    comparison = diff(drafts.text_of(session, station, live_number), text, live_label, _("将发布"))
    return render_template(
        "admin/menu_publish.html",
        station=station,
        text=text,
        base_version=base_version,
        note=note,
        comparison=comparison,
        a_label=live_label,
        b_label=_("将发布"),
    )


@bp.post("/stations/<int:station_id>/menu/validate")
@admin_required
@body_allowance(MAX_BODY_BYTES)
def menu_validate(station_id: int) -> Response | tuple[Response, int]:
    """JSON in: ``{yaml}`` or ``{document}``; out: the problems, the YAML and the mapping."""
    station = station_or_404(station_id)
    if (request.content_length or 0) > MAX_BODY_BYTES:
        return jsonify(error=_("菜单太大")), 413
    try:
        payload = request.get_json(silent=True)
    except RecursionError:  # nested too deeply to be a menu
        payload = None
    text = None
    if isinstance(payload, dict) and isinstance(payload.get("yaml"), str):
        text = payload["yaml"]
    elif isinstance(payload, dict) and isinstance(payload.get("document"), dict):
        text = _dumped(payload["document"])
    if text is None:
        return jsonify(error=_("需要 yaml 文本或 document 对象")), 400
    errors, warnings = check(station, text)
    answer = {
        "ok": not errors,
        "errors": [p.as_dict() for p in errors],
        "warnings": [p.as_dict() for p in warnings],
        "yaml": text,
        "document": drafts.tree_document(text),
    }
    return Response(ordered_json(answer), mimetype="application/json")


def ordered_json(value: object) -> str:
    """JSON keeping the document's key order (Flask's JSON sorts keys), safe in <script>."""
    text = json.dumps(value)
    for char, escape in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027")):
        text = text.replace(char, escape)
    return text


def check(station: Station, text: str) -> tuple[list[Any], list[Any]]:
    """The document's errors and warnings, each with its node, field and line."""
    try:
        parsed = drafts.validate(get_session(), station, text)
    except MenuInvalid as invalid:
        return locate(text, invalid.errors), []
    return [], locate(text, parsed.warnings)


def submitted_text() -> str | None:
    """The tree's mapping as YAML when the tree view sent it, else the YAML textarea."""
    raw = request.form.get("document", "")
    if raw.strip():
        try:
            document = json.loads(raw)
        except (ValueError, RecursionError):
            return None
        return _dumped(document) if isinstance(document, dict) else None
    text = request.form.get("yaml")
    return text.replace("\r\n", "\n") if text is not None else None


def _dumped(document: dict) -> str | None:
    try:
        return drafts.yaml_text(document)
    except RecursionError:
        return None


def render_editor(
    station: Station,
    doc: drafts.EditorDocument,
    text: str,
    base_version: int,
    *,
    note: str = "",
    note_error: str | None = None,
    stale: Any = None,
    refusal: str | None = None,
) -> str:
    errors, warnings = check(station, text)
    session = get_session()
    stale_text = stale_diff = None
    if stale is not None:
        stale_text = stale_message(stale, base_version)
        stale_diff = url_for(
            "admin.menu_history", station_id=station.id, a=base_version, b=stale.version
        )
        # Seen the newer version now: saving again deliberately makes this text the next one.
        base_version = stale.version
    editor_data = {
        "document": drafts.tree_document(text),
        "errors": [p.as_dict() for p in errors],
        "warnings": [p.as_dict() for p in warnings],
        "validate_url": url_for("admin.menu_validate", station_id=station.id),
        "kinds": {
            k: {n: f.required for n, f in fields.items()} for k, fields in KIND_FIELDS.items()
        },
        "keys": list(drafts.PHONE_KEY_ORDER),
        "priorities": list(PRIORITIES),
        "strategies": list(FORWARD_STRATEGIES),
        "speech_rates": list(SPEECH_RATE_CHOICES),
        "voices": _voices(),
        "prompt_files": sorted(prompt_names(session, station.id)),
        "stations": list(session.scalars(select(Station.code).order_by(Station.code))),
    }
    return render_template(
        "admin/menu_editor.html",
        station=station,
        doc=doc,
        text=text,
        base_version=base_version,
        status=version_status(doc.version, doc.live),
        errors=errors,
        warnings=warnings,
        note=note,
        note_error=note_error,
        stale=stale,
        stale_text=stale_text,
        stale_diff=stale_diff,
        refusal=refusal,
        editor_data=Markup(ordered_json(editor_data)),
    )


def _voices() -> dict[str, list[tuple[str, str]]] | None:
    if VOICES is None:
        return None
    return {
        lang: [(voice, str(label)) for voice, label in voices] for lang, voices in VOICES.items()
    }
