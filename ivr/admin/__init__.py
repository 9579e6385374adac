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
    import pkgutil

    # Route modules register on ``bp`` when imported: every module of this package is
    # one page or one small group of pages.
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    app.register_blueprint(bp)
