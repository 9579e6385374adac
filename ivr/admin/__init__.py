"""Station admin: settings, prompts, the menu editor, preview, test call, bulk changes.

Pages live under ``/admin``. A station admin manages their own station; a district admin
the district's stations; a city admin every station. Workers have no admin pages, and a
station outside the admin's scope answers 404 exactly as a missing one does.
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _refuse_nul_characters() -> None:
    """No form here takes a NUL character, and PostgreSQL cannot store one in text: every
    admin form is refused at once (400, nothing changed) rather than failing on save."""
    from flask import abort, request
    from flask_babel import gettext as _

    # Uploads (multipart) are left to their view, which checks their size before reading.
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    if request.method == "POST" and any("\x00" in value for value in request.form.values()):
        abort(400, description=_("表单里有无法保存的控制字符（NUL），请删除后再提交。"))


def init_app(app: Flask) -> None:
    from ivr.admin import (  # noqa: F401 - each registers its pages on ``bp``
        block_lists,
        bulk,
        menu_diagram,
        menu_editor,
        menu_health,
        menu_history,
        prompts,
        rehearsal,
        residents,
        retention,
        settings,
        settings_messages,
        settings_roster,
        settings_tags,
        stations,
    )

    app.register_blueprint(bp)
