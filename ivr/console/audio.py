"""Recordings, streamed with HTTP range requests; every play is checked and audited."""

from __future__ import annotations

from flask import abort, current_app, request
from flask_login import login_required
from werkzeug.wrappers import Response

from ivr.console import bp
from ivr.console.common import audit, voicemail_or_404
from ivr.db import get_session
from ivr.storage import stored_file
from ivr.voicemails.playback import send_recording, starts_playback


@bp.get("/voicemails/<int:voicemail_id>/audio")
@login_required
def audio(voicemail_id: int) -> Response:
    voicemail = voicemail_or_404(voicemail_id)
    path = stored_file(current_app.config["IVR"].storage_dir, voicemail.storage_path)
    if path is None:
        abort(404)
    if starts_playback():
        audit(
            "voicemail.play", "voicemail", voicemail.id, voicemail.station_id, request.remote_addr
        )
        get_session().commit()
    return send_recording(path)
