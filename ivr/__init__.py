"""The hotline application: app factory, webhooks, services, jobs, pages and CLI."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from flask import Flask

from ivr.config import Config, read_environment

log = logging.getLogger(__name__)


def create_app(env: Mapping[str, str] | None = None) -> Flask:
    """Build the application.

    ``env`` replaces the environment (tests pass their own); by default the process
    environment is read over a ``.env`` file in the working directory.
    """
    environ = dict(env) if env is not None else read_environment()
    instance_dir = environ.get("IVR_INSTANCE_DIR")
    app = Flask(__name__, instance_path=str(Path(instance_dir).resolve()) if instance_dir else None)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)

    config = Config.from_env(environ, Path(app.instance_path))
    app.config["IVR"] = config
    app.config["SECRET_KEY"] = config.secret_key
    # Every REST call to Twilio goes through this client (tests replace it or point
    # IVR_TWILIO_API_URL at a local stand-in for Twilio).
    from ivr.twilio_rest import RestHttpClient

    app.extensions["ivr.twilio_http_client"] = RestHttpClient(config.twilio_api_url)
    if config.skip_twilio_signature:
        log.warning(
            "IVR_INSECURE_SKIP_TWILIO_SIGNATURE is on: Twilio webhook signatures are NOT "
            "checked and anyone can forge calls. Never run like this in production."
        )

    from ivr import admin, api, console, db, edge, health, jobs, stats, storage, voice

    edge.init_app(app)  # first: its hooks run before any that reads a request body
    db.init_app(app)
    storage.init_app(app)
    edge.throttle.init_app(app)
    jobs.init_app(app)
    health.init_app(app)
    voice.init_app(app)
    api.init_app(app)
    console.init_app(app)
    admin.init_app(app)
    stats.init_app(app)

    @app.context_processor
    def navigation() -> dict[str, object]:
        from ivr.admin.stations import station_tabs

        return {"nav_endpoints": app.view_functions, "admin_station_tabs": station_tabs}

    return app
