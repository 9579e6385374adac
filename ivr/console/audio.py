"""Recordings, streamed with HTTP range requests; every play is checked and audited."""

from __future__ import annotations

from pathlib import Path

from flask import abort, current_app, request, send_file
from flask_login import login_required
from werkzeug.wrappers import Response

from ivr.console import bp
from ivr.console.common import audit, voicemail_or_404
from ivr.db import get_session


def _starts_playback() -> bool:
    """A player asks for more ranges as it goes; only the first request is a new play."""
    ranges = request.range
    return ranges is None or not ranges.ranges or ranges.ranges[0][0] == 0


@bp.get("/voicemails/<int:voicemail_id>/audio")
@login_required
def audio(voicemail_id: int) -> Response:
    voicemail = voicemail_or_404(voicemail_id)
    if not voicemail.storage_path:
        abort(404)
    root = Path(current_app.config["IVR"].storage_dir).resolve()
    path = (root / voicemail.storage_path).resolve()
    if root not in path.parents or not path.is_file():
        abort(404)
    if _starts_playback():
        audit(
            "voicemail.play", "voicemail", voicemail.id, voicemail.station_id, request.remote_addr
        )
        get_session().commit()
    response = send_file(path, mimetype="audio/wav", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
