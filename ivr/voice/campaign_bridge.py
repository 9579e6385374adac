"""Twilio's side of a campaign call: the worker answered; dial the resident on the list."""

from __future__ import annotations

import logging

from flask import Response, request
from twilio.twiml.voice_response import VoiceResponse

from ivr.campaigns import dialing
from ivr.db import get_session
from ivr.menus.document import DEFAULT_VOICES
from ivr.voice import bp
from ivr.voice.turn import form_field, url_number, voice_urls, xml
from models import CampaignEntry, Station, User

log = logging.getLogger(__name__)


def _parties() -> tuple[CampaignEntry | None, User | None]:
    session = get_session()
    entry_id = url_number(request.args.get("e", ""), 11)
    worker_id = url_number(request.args.get("w", ""), 11)
    entry = session.get(CampaignEntry, entry_id) if entry_id is not None else None
    worker = session.get(User, worker_id) if worker_id is not None else None
    return entry, worker


def _say(response: VoiceResponse, text: str) -> None:
    language, voice = DEFAULT_VOICES["zh"]
    response.say(text, language=language, voice=voice)


@bp.post("/campaign-bridge")
def campaign_bridge() -> Response:
    """The worker picked up: dial the resident from their station's hotline number."""
    response = VoiceResponse()
    try:
        entry, worker = _parties()
        if entry is None or worker is None:
            _say(response, "对不起，找不到这位居民。")
            response.hangup()
            return xml(str(response))
        station = get_session().get(Station, entry.station_id) if entry.station_id else None
        _say(response, "正在为您接通居民，请稍候。")
        dial = response.dial(
            caller_id=dialing.hotline_of(station),
            timeout=30,
            action=voice_urls("u").webhook("campaign-bridge-done", e=entry.id, w=worker.id),
            method="POST",
        )
        dial.number(entry.caller.phone_number)
    except Exception:
        log.exception("campaign bridge failed (CallSid %s)", form_field("CallSid"))
        response = VoiceResponse()
        _say(response, "对不起，系统暂时出现故障，请在电访页面重试。")
        response.hangup()
    return xml(str(response))


@bp.post("/campaign-bridge-done")
def campaign_bridge_done() -> Response:
    """The leg to the resident ended; its DialCallStatus lands on the entry."""
    session = get_session()
    try:
        entry, worker = _parties()
        if entry is not None and worker is not None:
            dialing.finished(
                session, entry, worker, form_field("CallSid"), form_field("DialCallStatus", 20)
            )
            session.commit()
    except Exception:
        log.exception("campaign-bridge-done failed (CallSid %s)", form_field("CallSid"))
        session.rollback()
    response = VoiceResponse()
    response.hangup()
    return xml(str(response))
