"""Statistics: every figure the hotlines report, by station, district and city.

``ivr.stats.figures`` is the one place each figure is defined; the dashboard pages,
exports, ``ivr report`` and ``/api/v1/stats`` all read from it.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("stats", __name__, url_prefix="/stats")


def init_app(app: Flask) -> None:
    from ivr.stats import campaigns, dashboard  # noqa: F401 - registers its pages on ``bp``

    campaigns.init_app(app)
    app.register_blueprint(bp)
