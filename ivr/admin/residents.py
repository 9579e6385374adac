"""A resident's request (city admins): look a number up, export everything held about it
as one ZIP, or erase it. The number travels only in POST bodies, never in a URL."""

from __future__ import annotations

import tempfile
from functools import wraps
from typing import Any

from flask import abort, current_app, render_template, request, send_file
from flask_babel import gettext as _
from flask_login import login_required
from werkzeug.wrappers import Response

from ivr.admin import bp
from ivr.console.common import me
from ivr.db import database, get_session
from ivr.phone import mask
from ivr.privacy.erasure import ErasureRefused, audit_request
from ivr.privacy.requests import NothingHeld, erase_number, export_number, look_up
from ivr.privacy.resident import NumberInvalid, normalise
from ivr.storage import storage
from models import Role


def city_admin_required(view: Any) -> Any:
    @login_required
    @wraps(view)
    def guarded(*args: Any, **kwargs: Any) -> Any:
        if me().role is not Role.CITY_ADMIN:
            abort(403)
        return view(*args, **kwargs)

    return guarded


def _show(status: int = 200, **context: Any) -> tuple[str, int]:
    context.setdefault("number", "")
    context.setdefault("resident", None)
    context.setdefault("error", "")
    context.setdefault("done", None)
    encrypted = bool(current_app.config["IVR"].storage_keys)
    page = render_template("admin/residents.html", mask=mask, encrypted=encrypted, **context)
    return page, status


@bp.route("/residents", methods=["GET", "POST"])
@city_admin_required
def resident_request() -> Response | tuple[str, int]:
    if request.method == "GET":
        return _show()
    typed = request.form.get("number", "")
    try:
        number = normalise(typed)
    except NumberInvalid:
        return _show(400, number=typed, error=_("请输入国际格式的电话号码，如 +8613812345678。"))
    action = request.form.get("action", "lookup")
    session = get_session()
    try:
        if action == "export":
            return _export(number)
        if action == "erase":
            return _erase(number)
        resident = look_up(session, number)
        # Seeing who a number is and what is held is touching personal data: audited.
        audit_request(
            session, "privacy.lookup", resident, me().id, request.remote_addr, resident.counts()
        )
        session.commit()
        return _show(number=number, resident=resident)
    except NothingHeld:
        return _show(404, number=number, error=_("系统里没有这个号码的任何记录。"))


def _export(number: str) -> Response:
    # Handed to the response, which closes it once sent.
    archive = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    export_number(
        get_session(),
        current_app.config["IVR"],
        number,
        archive,
        me().id,
        request.remote_addr,
        storage=storage(),
    )
    archive.seek(0)
    response = send_file(
        archive,
        mimetype="application/zip",
        as_attachment=True,
        download_name=f"resident-{mask(number).replace('*', 'x')}.zip",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    return response


def _erase(number: str) -> tuple[str, int]:
    session = get_session()
    if request.form.get("confirm") != "1":
        return _show(
            400,
            number=number,
            resident=look_up(session, number),
            error=_("请勾选确认框：删除后无法恢复。"),
        )
    try:
        erased = erase_number(
            session,
            database().sessions,
            current_app.config["IVR"],
            number,
            force=request.form.get("force") == "1",
            user_id=me().id,
            ip=request.remote_addr,
            twilio_http_client=current_app.extensions.get("ivr.twilio_http_client"),
            storage=storage(),
        )
    except ErasureRefused as exc:
        session.rollback()
        ids = "、".join(f"#{i}" for i in exc.ticket_ids)
        message = _(
            "没有删除：这个号码还有未结案的工单（%(ids)s），社工仍需要其中的录音和资料。"
            "请先结案；确有必要时勾选“即使有未结案工单也删除”。",
            ids=ids,
        )
        return _show(409, number=number, resident=look_up(session, number), error=message)
    return _show(number="", done={"number": mask(number), "token": erased.token, **erased.counts})
