"""Statistics: every figure the hotlines report, by station, district and city.

``ivr.stats.figures`` is the one place each figure is defined; the dashboard pages,
exports, ``ivr report`` and ``/api/v1/stats`` all read from it.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("stats", __name__, url_prefix="/stats")

# Modules holding pages; they register on ``bp`` when imported.
PAGE_MODULES = ("dashboard",)


def init_app(app: Flask) -> None:
    import importlib
    import importlib.util

    for name in PAGE_MODULES:
        if importlib.util.find_spec(f"{__name__}.{name}") is not None:
            importlib.import_module(f"{__name__}.{name}")
    app.register_blueprint(bp)
