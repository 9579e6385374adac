"""My account: my own phone for click-to-call, my password, my language, my sessions.

The language form posts to ``console.language`` (the switch in every page's bar), which
keeps the choice on the account; "log out everywhere" posts to ``console.logout_all``.
"""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user
from werkzeug.wrappers import Response

from ivr.console import bp
from ivr.console.common import audit, me
from ivr.db import get_session
from ivr.stations.account import AccountChangeRefused, change_password, set_phone
from ivr.stations.sign_in import SignedIn
from ivr.stations.users import MIN_PASSWORD_LENGTH
from models import utcnow

LANGUAGE_NAMES = {"zh": "中文", "en": "English"}  # each in its own language, never translated


def _show(
    errors: dict[str, str] | None = None, phone: str | None = None, status: int = 200
) -> tuple[str, int]:
    user = me()
    page = render_template(
        "console/account.html",
        user=user,
        phone=(user.phone or "") if phone is None else phone,
        errors=errors or {},
        languages=LANGUAGE_NAMES,
        min_password=MIN_PASSWORD_LENGTH,
    )
    return page, status


@bp.get("/account")
@login_required
def account() -> tuple[str, int]:
    return _show()


@bp.post("/account/phone")
@login_required
def account_phone() -> Response | tuple[str, int]:
    typed = request.form.get("phone", "")[:64]
    session, user = get_session(), me()
    before = user.phone
    try:
        number = set_phone(session, user, typed)
    except AccountChangeRefused as exc:
        session.rollback()
        return _show({exc.field: str(exc)}, phone=typed, status=400)
    if number != before:
        audit("account.phone", "user", user.id, user.station_id, request.remote_addr)
    session.commit()
    if number is None:
        flash(_("已删除你的电话号码；回电前需要重新填写"), "info")
    else:
        flash(_("已保存你的电话号码：%(number)s", number=number), "info")
    return redirect(url_for("console.account"))


@bp.post("/account/password")
@login_required
def account_password() -> Response | tuple[str, int]:
    form = request.form
    session, user = get_session(), me()
    try:
        change_password(
            session,
            user,
            form.get("current_password", ""),
            form.get("new_password", ""),
            form.get("repeat_password", ""),
            utcnow(),
        )
    except AccountChangeRefused as exc:
        session.rollback()
        return _show({exc.field: str(exc)}, status=400)
    audit("account.password", "user", user.id, user.station_id, request.remote_addr)
    session.commit()
    login_user(SignedIn(user))  # this session carries the new session version; others end
    flash(_("密码已修改；你在其他设备上的登录已全部退出"), "info")
    return redirect(url_for("console.account"))
