"""A station's prompt library page: list and play, upload (converted to 8 kHz WAV), delete.

The upload is checked for size before its body is read: the route is exempt from the
app-wide CSRF check (which would parse the whole multipart body first) and checks the
token itself right after the size check, so a too-large upload is answered with the page
and a message without storing or decoding anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.admin.access import admin_required, audit_change, station_or_404
from ivr.console.common import me
from ivr.db import get_session
from ivr.edge.body_limits import BOUNDED_BY_VIEW, body_allowance
from ivr.menus.prompts import (
    MAX_SECONDS,
    MIN_SECONDS,
    NAME_CHARS,
    ConvertedPrompt,
    PromptInUse,
    PromptNameInvalid,
    PromptRejected,
    convert_prompt,
    delete_prompt,
    menu_uses,
    normalise_name,
    save_prompt,
)
from ivr.menus.voices import VOICES
from models import PromptFile, Station, User

# Room for the multipart framing and the small fields around the file itself.
FORM_OVERHEAD = 64 * 1024
# A too-large body is read and dropped up to this much, so the browser gets to see the
# page instead of a reset connection; beyond it the connection is simply closed.
DRAIN_LIMIT = 64 * 1024 * 1024
DESCRIPTION_CHARS = 200


@dataclass
class UploadForm:
    name: str = ""
    description: str = ""
    replace: bool = False
    too_large: bool = False
    errors: dict[str, str] = field(default_factory=dict)


@bp.get("/stations/<int:station_id>/prompts")
@admin_required
def prompts(station_id: int) -> str:
    return _page(station_or_404(station_id), UploadForm())


@bp.post("/stations/<int:station_id>/prompts/upload")
@admin_required
@body_allowance(BOUNDED_BY_VIEW)  # up to max_prompt_bytes, checked below
def prompt_upload(station_id: int) -> Response | tuple[str, int]:
    station = station_or_404(station_id)
    # No transaction (and so no SQLite write lock) while the body arrives or ffmpeg runs.
    get_session().commit()
    limit = current_app.config["IVR"].max_prompt_bytes
    if (request.content_length or 0) > limit + FORM_OVERHEAD:
        _drain_body()
        return _page(station, _too_large(UploadForm(), limit)), 413
    request.max_content_length = limit + FORM_OVERHEAD  # also bounds a body without a length
    try:
        request.form  # noqa: B018 - parse now, under that limit
    except RequestEntityTooLarge:
        return _page(station, _too_large(UploadForm(), limit)), 413
    current_app.extensions["csrf"].protect()
    form = UploadForm(
        name=request.form.get("name", "").strip()[:200],
        description=request.form.get("description", "").replace("\x00", "").strip(),
        replace=request.form.get("replace") == "1",
    )
    upload = request.files.get("file")
    data = _read_upload(upload, limit, form)
    name = _chosen_name(form, upload)
    if len(form.description) > DESCRIPTION_CHARS:
        form.errors["description"] = _("描述不能超过%(n)d字", n=DESCRIPTION_CHARS)
    if name and not form.replace and _existing(station, name) is not None:
        form.errors["name"] = _(
            "已有名为 %(name)s 的录音。要替换它，请勾选“替换同名录音”。", name=name
        )
    if form.errors or data is None or name is None:
        return _page(station, form), 413 if form.too_large else 400
    get_session().commit()
    try:
        converted = convert_prompt(data, max_bytes=limit)
    except PromptRejected as rejected:
        form.errors["file"] = _rejection(rejected)
        return _page(station, form), 400
    filename = (upload.filename or "").replace("\x00", "") if upload is not None else ""
    return _store(station, name, converted, filename, form)


def _store(
    station: Station, name: str, converted: ConvertedPrompt, filename: str, form: UploadForm
) -> Response | tuple[str, int]:
    session = get_session()
    replaced = _existing(station, name) is not None
    session.commit()  # it only read; the audio is stored outside any transaction
    try:
        prompt = save_prompt(session, station, name, converted, me(), filename, form.description)
        audit_change(
            "prompt.replace" if replaced else "prompt.upload",
            station,
            name=name,
            size_bytes=prompt.size_bytes,
            seconds=prompt.duration_seconds,
            sha256=prompt.sha256,
            source_format=converted.source_format,
            original_filename=prompt.original_filename,
        )
        session.commit()
    except IntegrityError:  # the same name, uploaded by someone else a moment ago
        session.rollback()
        form.errors["name"] = _("刚有人上传了同名录音 %(name)s，请刷新页面后再试。", name=name)
        return _page(station, form), 409
    seconds = f"{prompt.duration_seconds:.1f}"
    flash(_("已保存录音 %(name)s（%(s)s 秒）。", name=name, s=seconds))
    return redirect(url_for("admin.prompts", station_id=station.id))


@bp.post("/stations/<int:station_id>/prompts/<int:prompt_id>/delete")
@admin_required
def prompt_delete(station_id: int, prompt_id: int) -> Response | tuple[str, int]:
    station = station_or_404(station_id)
    session = get_session()
    prompt = session.scalar(
        select(PromptFile).where(PromptFile.id == prompt_id, PromptFile.station_id == station.id)
    )
    if prompt is None:
        flash(_("这条录音已不存在，可能已被他人删除。"), "error")
        return redirect(url_for("admin.prompts", station_id=station.id))
    name = prompt.name
    try:
        delete_prompt(session, prompt)
    except PromptInUse as in_use:
        session.rollback()
        form = UploadForm(errors={f"delete-{prompt_id}": _in_use_message(in_use)})
        return _page(station, form), 409
    audit_change("prompt.delete", station, name=name)
    session.commit()
    flash(_("已删除录音 %(name)s。", name=name))
    return redirect(url_for("admin.prompts", station_id=station.id))


def _rejection(rejected: PromptRejected) -> str:
    """What the admin reads for each reason an upload was refused."""
    reason, detail = rejected.reason, rejected.detail
    if reason == "too_large":
        return _too_large_text(int(str(detail.get("limit", 0))))
    if reason == "too_short":
        seconds = f"{float(str(detail.get('seconds', 0))):.2f}"
        return _("录音太短（%(s)s 秒）：至少要 %(min)s 秒。", s=seconds, min=MIN_SECONDS)
    if reason == "too_long":
        return _("录音太长：最长 %(n)d 分钟。", n=MAX_SECONDS // 60)
    if reason == "empty":
        return _("文件是空的")
    if reason == "no_audio":
        return _("文件里没有声音（可能是视频或图片）：请上传录音文件。")
    if reason == "damaged":
        return _("录音文件不完整或已损坏，无法完整读取：请重新导出后再上传。")
    if reason == "too_slow":
        return _("处理这个文件超时：请换成 MP3 或 WAV 格式再试。")
    return _("无法识别为录音：请上传 WAV、MP3、M4A 或 OGG 格式的音频文件（文件也可能已损坏）。")


def _in_use_message(in_use: PromptInUse) -> str:
    parts = []
    if in_use.published:
        parts.append(_("已发布的菜单：%(paths)s", paths="、".join(in_use.published)))
    if in_use.draft:
        parts.append(_("最新草稿：%(paths)s", paths="、".join(in_use.draft)))
    return _(
        "菜单仍在播放这条录音，不能删除。请先在菜单中改掉这些位置：%(where)s",
        where="；".join(parts),
    )


def _read_upload(upload: FileStorage | None, limit: int, form: UploadForm) -> bytes | None:
    if upload is None or not upload.filename:
        form.errors["file"] = _("请选择要上传的录音文件")
        return None
    data = upload.stream.read(limit + 1)
    if len(data) > limit:
        _too_large(form, limit)
        return None
    if not data:
        form.errors["file"] = _("文件是空的")
        return None
    return data


def _chosen_name(form: UploadForm, upload: FileStorage | None) -> str | None:
    """The normalised library name: as typed, or else from the uploaded file's name."""
    if form.name:
        raw = form.name
    elif upload is not None and upload.filename:
        stem = upload.filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
        raw = stem[:NAME_CHARS]
    else:
        form.errors["name"] = _("请填写录音名称")
        return None
    try:
        return normalise_name(raw)
    except PromptNameInvalid as invalid:
        if invalid.reason == "too_long":
            message = _("名称太长：最多 %(n)d 个字符。", n=NAME_CHARS)
        elif form.name:
            message = _("名称只能用英文字母、数字、“-”和“_”，例如 policy-notice。")
        else:
            message = _("请填写录音名称（英文字母、数字、“-”和“_”），例如 policy-notice。")
        form.errors["name"] = message
        return None


def _size_text(size: int) -> str:
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / 1024 / 1024:.1f}".removesuffix(".0") + " MB"


def _too_large_text(limit: int) -> str:
    return _(
        "文件太大：录音文件最大 %(size)s。请剪短或压缩（例如导出为 MP3）后再上传。",
        size=_size_text(limit),
    )


def _too_large(form: UploadForm, limit: int) -> UploadForm:
    form.errors["file"] = _too_large_text(limit)
    form.too_large = True
    return form


def _drain_body() -> None:
    stream, left = request.stream, min(request.content_length or 0, DRAIN_LIMIT)
    while left > 0:
        chunk = stream.read(min(left, 64 * 1024))
        if not chunk:
            return
        left -= len(chunk)


def _existing(station: Station, name: str) -> PromptFile | None:
    return get_session().scalar(
        select(PromptFile).where(PromptFile.station_id == station.id, PromptFile.name == name)
    )


def _page(station: Station, form: UploadForm) -> str:
    session = get_session()
    rows = list(
        session.scalars(
            select(PromptFile).where(PromptFile.station_id == station.id).order_by(PromptFile.name)
        )
    )
    uploader_ids = {row.uploaded_by_id for row in rows if row.uploaded_by_id}
    uploaders = {
        user.id: user.display_name or user.username
        for user in session.scalars(select(User).where(User.id.in_(uploader_ids)))
    }
    languages = [code for code in station.languages if code in VOICES] or ["zh"]
    return render_template(
        "admin/prompts.html",
        station=station,
        prompts=rows,
        uses=menu_uses(session, station.id),
        uploaders=uploaders,
        form=form,
        limit=_size_text(current_app.config["IVR"].max_prompt_bytes),
        min_seconds=MIN_SECONDS,
        max_minutes=MAX_SECONDS // 60,
        voices={code: VOICES[code] for code in languages},
    )


@bp.record_once
def _exempt_upload_from_app_csrf(state) -> None:  # type: ignore[no-untyped-def]
    csrf = state.app.extensions.get("csrf")
    if csrf is not None:
        csrf.exempt(prompt_upload)
