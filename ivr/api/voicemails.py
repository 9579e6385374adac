"""``/voicemails/{id}``: what was left, what Vosk heard, and the recording itself."""

from __future__ import annotations

from flask import Response, jsonify, request

from ivr.api import bp, serialize
from ivr.api.errors import ApiError
from ivr.api.params import Query
from ivr.api.scoped import station_codes, voicemail_or_404
from ivr.api.tokens import current_scope, current_token, current_user
from ivr.db import get_session
from ivr.storage import storage
from ivr.voicemails.playback import PLAY_ACTION, play_needs_audit, range_detail, send_recording
from models import AuditLog, Voicemail, utcnow


def _voicemail(voicemail_id: int) -> Voicemail:
    Query(request.args, set())
    return voicemail_or_404(get_session(), current_scope(), voicemail_id)


@bp.get("/voicemails/<int:voicemail_id>")
def get_voicemail(voicemail_id: int) -> Response:
    voicemail = _voicemail(voicemail_id)
    code = station_codes(get_session(), [voicemail.station_id]).get(voicemail.station_id or 0)
    return jsonify(serialize.voicemail(voicemail, code))


@bp.get("/voicemails/<int:voicemail_id>/transcript")
def get_transcript(voicemail_id: int) -> Response:
    voicemail = _voicemail(voicemail_id)
    if voicemail.transcript is None:
        raise ApiError(404, "no_transcript", f"这条留言还没有转写（状态：{voicemail.state.value}）")
    return jsonify(serialize.transcript(voicemail.transcript))


def _audit_play(voicemail: Voicemail) -> None:
    session = get_session()
    session.add(
        AuditLog(
            at=utcnow(),
            user_id=current_user().id,
            api_token_id=current_token().id,
            action=PLAY_ACTION,
            object_type="voicemail",
            object_id=str(voicemail.id),
            station_id=voicemail.station_id,
            ip=request.remote_addr,
            detail={"via": "api", "range": range_detail()},
        )
    )
    session.commit()


@bp.get("/voicemails/<int:voicemail_id>/audio")
def get_audio(voicemail_id: int) -> Response:
    voicemail = _voicemail(voicemail_id)
    response = send_recording(storage(), voicemail.storage_path)
    if response is None:
        raise ApiError(404, "no_audio", f"这条留言没有录音文件（状态：{voicemail.state.value}）")
    if play_needs_audit(get_session(), current_user().id, voicemail.id, response):
        _audit_play(voicemail)
    return response
