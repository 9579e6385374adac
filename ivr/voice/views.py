"""The call's webhooks: a call comes in, a key is pressed, a forward ends, the status
changes. Each parses Twilio's form, asks the engine, logs the step and returns TwiML.

A caller never hears an application error: any failure inside a webhook is logged with
its CallSid and answered with an apology and a voicemail (see ``turn.voice_endpoint``).
"""

from __future__ import annotations

import logging
from datetime import datetime

from flask import Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from ivr.calls import log as calls
from ivr.db import get_session
from ivr.menus import engine
from ivr.stations.directory import directory
from ivr.tickets.cases import open_or_merge_ticket
from ivr.voice import blocked, bp
from ivr.voice.spooled import keep_for_later
from ivr.voice.turn import Turn, form_field, request_key, voice_endpoint, webhook_now, xml
from models import Call, Caller, CallOutcome, Station, TicketSource, Voicemail

log = logging.getLogger(__name__)


@bp.post("/voice")
@voice_endpoint
def incoming() -> Response:
    turn = Turn.load(lean=True)
    block = blocked.block_for(turn)
    if block is not None:
        return blocked.refuse(turn, block)
    arrival = turn.arrival
    detail: dict[str, object] = {
        "from": arrival.from_number,
        "to": arrival.to_number,
        "menu": turn.menu_ref,
    }
    caller = turn.read_caller()
    if engine.takes_elderly_path(turn.menu, caller):
        detail["elderly_path"] = True
    step = engine.start(turn.menu, turn.context, caller)
    return turn.respond(step, [{"kind": "incoming", "detail": detail}])


@bp.post("/gather")
@voice_endpoint
def gather() -> Response:
    turn = Turn.load(request.args.get("m", ""), lean=True)
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
    turn = Turn.load(request.args.get("m", ""), lean=True)
    position = turn.position()
    status = form_field("DialCallStatus", 20)
    answered = status in engine.ANSWERED_DIAL_STATUSES
    step = engine.dial_finished(turn.menu, turn.context, position, status)
    event = {
        "kind": "dial",
        "node": position.node,
        "detail": {"status": status, "ring": position.ring},
    }
    return turn.respond(step, [event], CallOutcome.ANSWERED if answered else None)


@bp.post("/status")
def status() -> Response:
    """Call status callback. Twilio reads nothing back, but a 5xx would be retried."""
    try:
        apply_status()
    except Exception:
        try:
            keep_for_later("status")
        except Exception:
            log.exception("could not spool the status callback either")
            return Response("status callback failed\n", status=500, mimetype="text/plain")
    return xml(str(VoiceResponse()))


def apply_status() -> None:
    """Record a call status callback (live, or replayed from the spool)."""
    session = get_session()
    call_sid = form_field("CallSid")
    if not call_sid:
        return
    now = webhook_now()
    stations = directory().stations(session.connection())
    call, _ = calls.get_or_create_call(
        session, stations, call_sid, form_field("From", 32), form_field("To", 32), now
    )
    ended = calls.apply_status(
        call, form_field("CallStatus", 20), form_field("CallDuration", 10), now, None
    )
    detail = {"status": form_field("CallStatus", 20), "duration": form_field("CallDuration", 10)}
    calls.log_events(session, call, request_key(), [{"kind": "status", "detail": detail}], now)
    if ended and call.outcome is CallOutcome.IN_PROGRESS:
        call.outcome = CallOutcome.ABANDONED
        _owed_call_back(session, call, now, TicketSource.ABANDONED, ["abandoned"])
    elif ended and call.outcome is CallOutcome.VOICEMAIL and not _has_voicemail(session, call):
        # Reached the voicemail but no recording is known (yet): hung up during the
        # prompt, or the recording's callback is still on its way, in which case it will
        # join this ticket. Either way not abandoned, and owed a call back.
        _owed_call_back(session, call, now, TicketSource.VOICEMAIL, [], no_recording=True)
    session.commit()


def _has_voicemail(session: Session, call: Call) -> bool:
    return (
        session.scalar(select(Voicemail.id).where(Voicemail.call_id == call.id).limit(1))
        is not None
    )


def _owed_call_back(
    session: Session,
    call: Call,
    now: datetime,
    source: TicketSource,
    tags: list[str],
    **data: object,
) -> None:
    """The call ended without a message. If the caller had chosen a need, they are owed a
    call back (unless their station says not to)."""
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
        source=source,
        tags=[call.chosen_need, *tags],
        now=now,
        data={"call_sid": call.call_sid, "last_node": call.last_node, **data},
    )
