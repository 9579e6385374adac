"""Twilio's side of a call: the webhooks a resident's call drives."""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("voice", __name__, url_prefix="/twilio")


def init_app(app: Flask) -> None:
    from ivr.stations import directory
    from ivr.voice import (  # noqa: F401 - routes
        bridge,
        campaign_bridge,
        prompt_files,
        recordings,
        ring_back,
        signature,
        sms,
        spooled,
        views,
    )

    directory.init_app(app)  # the stations a call step reads, cached per process
    app.register_blueprint(bp)
    app.register_blueprint(prompt_files.bp)
