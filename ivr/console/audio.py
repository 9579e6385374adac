"""Recordings, streamed with HTTP range requests; every play is checked and audited
(``ivr.voicemails.playback`` tells a new play from a player's later ranges)."""

from __future__ import annotations

from flask import abort, current_app, request
from flask_login import login_required
from werkzeug.wrappers import Response

from ivr.console import bp
from ivr.console.common import audit, me, voicemail_or_404
from ivr.db import get_session
from ivr.storage import stored_file
from ivr.voicemails.playback import PLAY_ACTION, play_needs_audit, range_detail, send_recording


@bp.get("/voicemails/<int:voicemail_id>/audio")
@login_required
def audio(voicemail_id: int) -> Response:
    voicemail = voicemail_or_404(voicemail_id)
    path = stored_file(current_app.config["IVR"].storage_dir, voicemail.storage_path)
    if path is None:
        abort(404)
    session = get_session()
    response = send_recording(path)
    if play_needs_audit(session, me().id, voicemail.id, response):
        audit(
            PLAY_ACTION,
            "voicemail",
            voicemail.id,
            voicemail.station_id,
            request.remote_addr,
            range=range_detail(),
        )
        session.commit()
    return response
