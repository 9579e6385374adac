"""Sign in and out, and the interface language."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ivr.console import bp
from ivr.console.common import me
from ivr.db import get_session
from ivr.i18n import LANGUAGES
from ivr.stations.sign_in import LoginRefused, SignedIn, authenticate, logout_everywhere
from models import utcnow


def _safe_next(target: str | None) -> str:
    # Only paths inside this site: never an open redirect to another host.
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return url_for("console.queue")


@bp.route("/login", methods=["GET", "POST"])
def login() -> str | Response:
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        try:
            user = authenticate(get_session(), username, password, utcnow())
        except LoginRefused as exc:
            flash(str(exc), "error")
            return render_template("console/login.html", username=username[:64]), 401
        login_user(SignedIn(user))
        session["lang"] = user.locale if user.locale in LANGUAGES else "zh"
        return redirect(_safe_next(request.args.get("next")))
    return render_template("console/login.html", username="")


@bp.post("/logout")
@login_required
def logout() -> Response:
    logout_user()
    return redirect(url_for("console.login"))


@bp.post("/logout-everywhere")
@login_required
def logout_all() -> Response:
    logout_everywhere(get_session(), me())
    logout_user()
    flash(_("已在所有设备上退出登录"), "info")
    return redirect(url_for("console.login"))


@bp.post("/language")
def language() -> Response:
    chosen = request.form.get("lang", "zh")
    session["lang"] = chosen if chosen in LANGUAGES else "zh"
    return redirect(_safe_next(request.form.get("next")))
