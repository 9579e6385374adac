"""Recordings, streamed with HTTP range requests; every play is checked and audited
(``ivr.voicemails.playback`` tells a new play from a player's later ranges)."""

from __future__ import annotations

from flask import abort, request
from flask_login import login_required
from werkzeug.wrappers import Response

from ivr.console import bp
from ivr.console.common import audit, me, voicemail_or_404
from ivr.db import get_session
from ivr.storage import storage
from ivr.voicemails.playback import PLAY_ACTION, play_needs_audit, range_detail, send_recording


@bp.get("/voicemails/<int:voicemail_id>/audio")
@login_required
def audio(voicemail_id: int) -> Response:
    voicemail = voicemail_or_404(voicemail_id)
    response = send_recording(storage(), voicemail.storage_path)
    if response is None:
        abort(404)
    session = get_session()
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
