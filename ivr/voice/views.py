"""The call's webhooks: a call comes in, a key is pressed, a forward ends, the status
changes. Each parses Twilio's form, asks the engine, logs the step and returns TwiML.

A caller never hears an application error: any failure inside a webhook is logged with
its CallSid and answered with an apology and a voicemail (see ``turn.voice_endpoint``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Response, request
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from ivr import calls
from ivr.db import get_session
from ivr.menu import engine
from ivr.tickets import open_or_merge_ticket
from ivr.voice import bp
from ivr.voice.turn import Turn, form_field, request_key, voice_endpoint, xml
from models import Call, Caller, CallOutcome, Station, TicketSource, utcnow

log = logging.getLogger(__name__)


@bp.post("/voice")
@voice_endpoint
def incoming() -> Response:
    turn = Turn.load()
    detail = {"from": turn.call.from_number, "to": turn.call.to_number, "menu": turn.menu_ref}
    return turn.respond(
        engine.start(turn.menu, turn.context), [{"kind": "incoming", "detail": detail}]
    )


@bp.post("/gather")
@voice_endpoint
def gather() -> Response:
    turn = Turn.load(request.args.get("m", ""))
    position = turn.position()
    digits = form_field("Digits", 32)
    step = engine.press(turn.menu, turn.context, position, digits)
    event = {
        "kind": "keys" if digits else "timeout",
        "node": position.node,
        "digits": digits or None,
    }
    return turn.respond(step, [event])


@bp.post("/dial")
@voice_endpoint
def dial() -> Response:
    turn = Turn.load(request.args.get("m", ""))
    position = turn.position()
    status = form_field("DialCallStatus", 20)
    if status in engine.ANSWERED_DIAL_STATUSES:
        calls.raise_outcome(turn.call, CallOutcome.ANSWERED)
    step = engine.dial_finished(turn.menu, turn.context, position, status)
    event = {
        "kind": "dial",
        "node": position.node,
        "detail": {"status": status, "ring": position.ring},
    }
    return turn.respond(step, [event])


@bp.post("/status")
def status() -> Response:
    """Call status callback. Twilio reads nothing back, but a 5xx would be retried."""
    try:
        _apply_status()
    except Exception:
        log.exception("status callback failed (CallSid %s)", form_field("CallSid"))
        get_session().rollback()
    return xml(str(VoiceResponse()))


def _apply_status() -> None:
    session = get_session()
    call_sid = form_field("CallSid")
    if not call_sid:
        return
    now = utcnow()
    call, _ = calls.get_or_create_call(
        session, call_sid, form_field("From", 32), form_field("To", 32), now
    )
    ended = calls.apply_status(
        call, form_field("CallStatus", 20), form_field("CallDuration", 10), now, None
    )
    detail = {"status": form_field("CallStatus", 20), "duration": form_field("CallDuration", 10)}
    calls.log_events(session, call, request_key(), [{"kind": "status", "detail": detail}], now)
    if ended and call.outcome is CallOutcome.IN_PROGRESS:
        _abandoned(session, call, now)
    session.commit()


def _abandoned(session: Session, call: Call, now: datetime) -> None:
    """The caller hung up in the menu. If they had chosen a need, they are owed a call back."""
    call.outcome = CallOutcome.ABANDONED
    station_id = call.transferred_to_station_id or call.station_id
    station = session.get(Station, station_id) if station_id else None
    if not call.chosen_need or (station is not None and not station.ticket_on_abandon):
        return
    caller = session.get(Caller, call.caller_id) if call.caller_id else None
    open_or_merge_ticket(
        session,
        station=station,
        caller=caller,
        caller_number=call.from_number,
        source=TicketSource.ABANDONED,
        tags=[call.chosen_need, "abandoned"],
        now=now,
        data={"call_sid": call.call_sid, "last_node": call.last_node},
    )
