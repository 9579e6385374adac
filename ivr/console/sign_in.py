"""Sign in and out, and the interface language."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from werkzeug.wrappers import Response

from ivr.console import bp
from ivr.console.common import me
from ivr.console.redirects import safe_next
from ivr.db import get_session
from ivr.i18n import LANGUAGES
from ivr.stations.account import set_language
from ivr.stations.sign_in import LoginRefused, SignedIn, authenticate, logout_everywhere
from models import utcnow

# Failed sign-ins one client address may make, whatever names it tries (Flask-Limiter,
# shared by every worker). Each account also locks after MAX_FAILED_LOGINS in a row.
ADDRESS_LIMIT = "10 per 15 minutes"
# A language switched to before signing in is the account's choice once signed in.
PICKED_BEFORE_SIGN_IN = "lang_picked"


def failed(response: Response) -> bool:
    """Only refused sign-ins count against the address's limit."""
    return response.status_code == 401


def _safe_next(target: str | None) -> str:
    return safe_next(target, url_for("console.queue"))


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
        if session.pop(PICKED_BEFORE_SIGN_IN, False):  # chosen on this sign-in page: keep it
            set_language(user, session.get("lang", ""))
            get_session().commit()
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
    revoke = request.form.get("revoke_api_tokens") == "1"
    revoked = logout_everywhere(get_session(), me(), utcnow(), revoke_api_tokens=revoke)
    logout_user()
    if revoke and revoked:
        flash(_("已在所有设备上退出登录，并撤销了你的 %(n)d 个 API 令牌", n=revoked), "info")
    elif revoke:
        flash(_("已在所有设备上退出登录（你没有有效的 API 令牌）"), "info")
    else:
        flash(_("已在所有设备上退出登录（API 令牌仍然有效）"), "info")
    return redirect(url_for("console.login"))


@bp.errorhandler(429)
def too_many_attempts(_exc: Exception) -> tuple[str, int]:
    """Sign-ins from one address over the limit: the same for every account name."""
    flash(_("这个网络地址登录失败次数过多，请15分钟后再试"), "error")
    username = request.form.get("username", "").strip()[:64]
    return render_template("console/login.html", username=username), 429


@bp.post("/language")
def language() -> Response:
    """Switch the interface language; a signed-in user's account remembers it."""
    chosen = request.form.get("lang", "zh")
    session["lang"] = chosen if chosen in LANGUAGES else "zh"
    if current_user.is_authenticated:
        set_language(me(), session["lang"])
        get_session().commit()
    else:
        session[PICKED_BEFORE_SIGN_IN] = True
    return redirect(_safe_next(request.form.get("next")))
