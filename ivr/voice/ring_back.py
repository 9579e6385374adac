"""The call back's own leg: the resident answered the hotline's call, and the menu starts
at the node their call-back node named (``ivr.calls.ring_back`` placed the call).

The URL names the request (``c``), signed by Twilio like every webhook; the request
names the station, whose live menu is played. The call is logged like an incoming one
(resident → hotline) with the direction ``callback``.
"""

from __future__ import annotations

import logging

from flask import Response, request
from sqlalchemy import select, update
from twilio.twiml.voice_response import VoiceResponse

from ivr.calls.ring_back import unanswered
from ivr.db import get_session
from ivr.menus import engine
from ivr.menus.engine import MenuPositionInvalid
from ivr.stations.directory import directory
from ivr.voice import bp
from ivr.voice.turn import (
    Turn,
    WebhookInvalid,
    form_field,
    url_number,
    voice_endpoint,
    webhook_now,
    xml,
)
from ivr.voice.views import apply_status
from models import Call, CallbackRequest, CallDirection

log = logging.getLogger(__name__)


@bp.post("/ring-back")
@voice_endpoint
def ring_back() -> Response:
    request_id = url_number(request.args.get("c", ""), max_digits=12)
    session = get_session()
    callback = session.get(CallbackRequest, request_id) if request_id is not None else None
    if callback is None:
        raise WebhookInvalid(f"no call-back request {request.args.get('c', '')!r}")
    station = directory().stations(session.connection()).get(session, callback.station_id)
    if station is None:
        raise WebhookInvalid(f"call-back {callback.id}: its station is gone")
    turn = Turn.load(station.menu_ref, outbound=True)
    call = turn.call()
    session.execute(update(Call).where(Call.id == call.id).values(direction=CallDirection.CALLBACK))
    try:
        step = engine.continue_at(turn.menu, turn.context, callback.node, callback.language)
    except MenuPositionInvalid:  # the menu was republished without that node
        step = engine.start(turn.menu, turn.context)
    event = {"kind": "ring_back", "detail": {"request": callback.id}}
    return turn.respond(step, [event])


@bp.post("/ring-back-status")
def ring_back_status() -> Response:
    """The call back's status: logged like any call's once answered; busy, unanswered or
    failed, a call-back ticket is opened so that a worker tries again."""
    request_id = url_number(request.args.get("c", ""), max_digits=12)
    status = form_field("CallStatus", 20)
    try:
        session = get_session()
        if request_id is not None and unanswered(session, request_id, status, webhook_now()):
            session.commit()
        elif _known(form_field("CallSid")):
            apply_status()
    except Exception:
        log.exception("call back %s: status %s not recorded", request_id, status)
        return Response("status callback failed\n", status=500, mimetype="text/plain")
    return xml(str(VoiceResponse()))


def _known(call_sid: str) -> bool:
    """Only a call back that was answered (its leg logged) has a call to update."""
    return get_session().scalar(select(Call.id).where(Call.call_sid == call_sid)) is not None
