"""Station admin: settings, prompts, the menu editor, preview, test call, bulk changes.

Pages live under ``/admin``. A station admin manages their own station; a district admin
the district's stations; a city admin every station. Workers have no admin pages, and a
station outside the admin's scope answers 404 exactly as a missing one does.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")


def init_app(app: Flask) -> None:
    import importlib

    from ivr.admin import access

    # Route modules register on ``bp`` when imported; each is one page or one small group.
    for name in access.ROUTE_MODULES:
        importlib.import_module(f"ivr.admin.{name}")
    app.register_blueprint(bp)
