"""Statistics: every figure the hotlines report, by station, district and city.

``ivr.stats.figures`` is the one place each figure is defined; the dashboard pages,
exports, ``ivr report`` and ``/api/v1/stats`` all read from it.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("stats", __name__, url_prefix="/stats")

# Route modules registered on ``bp`` when imported.
ROUTE_MODULES: list[str] = []


def init_app(app: Flask) -> None:
    import importlib

    for name in ROUTE_MODULES:
        importlib.import_module(f"ivr.stats.{name}")
    app.register_blueprint(bp)
