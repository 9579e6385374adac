"""The workers' console: sign in, the call-back queue, tickets, recordings, callers."""

from __future__ import annotations

from flask import Blueprint, Flask
from flask_wtf import CSRFProtect

bp = Blueprint("console", __name__, url_prefix="/console")


def init_app(app: Flask) -> None:
    from ivr import i18n
    from ivr.console import (  # noqa: F401 - routes
        account,
        audio,
        callers,
        campaigns,
        error_pages,
        labels,
        live,
        queue,
        sign_in,
        tickets,
    )
    from ivr.edge import throttle
    from ivr.stations import sign_in as auth

    auth.init_app(app)
    i18n.init_app(app)
    labels.init_app(app)
    error_pages.init_app(app)
    csrf = CSRFProtect(app)
    # Twilio signs its webhooks, and API clients send bearer tokens, not cookies.
    for name in ("voice", "api"):
        if name in app.blueprints:
            csrf.exempt(app.blueprints[name])
    app.register_blueprint(bp)
    throttle.limit_endpoint(
        app,
        "console.login",
        sign_in.ADDRESS_LIMIT,
        methods=["POST"],
        deduct_when=sign_in.failed,
    )

    @app.get("/")
    def home():  # type: ignore[no-untyped-def]
        from flask import redirect, url_for

        return redirect(url_for("console.queue"))
