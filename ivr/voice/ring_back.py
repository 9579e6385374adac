"""The call back's own leg: the resident answered the hotline's call, and the menu starts
at the node their call-back node named (``ivr.calls.ring_back`` placed the call).

The URL names the request (``c``), signed by Twilio like every webhook; the request
names the station, whose live menu is played. The call is logged like an incoming one
(resident → hotline) with the direction ``callback``.
"""

from __future__ import annotations

from flask import Response, request
from sqlalchemy import update

from ivr.db import get_session
from ivr.menus import engine
from ivr.menus.engine import MenuPositionInvalid
from ivr.stations.directory import directory
from ivr.voice import bp
from ivr.voice.turn import Turn, WebhookInvalid, url_number, voice_endpoint
from models import Call, CallbackRequest, CallDirection


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
