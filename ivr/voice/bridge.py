"""Twilio's side of click-to-call: the worker answered; bridge them to the resident."""

from __future__ import annotations

import logging

from flask import Response
from twilio.twiml.voice_response import VoiceResponse

from ivr.calls import click_to_call
from ivr.calls import log as calls
from ivr.db import get_session
from ivr.voice import bp
from ivr.voice.bridging import connect, hang_up, parties, spoken_end
from ivr.voice.turn import form_field, voice_urls, xml
from models import Ticket, TicketEventKind, utcnow

log = logging.getLogger(__name__)


@bp.post("/bridge")
def bridge() -> Response:
    """The worker picked up: tell them, then dial the resident from the hotline number."""
    try:
        ticket, worker = parties(Ticket, "t")
        if ticket is None or worker is None or not ticket.caller_number:
            return spoken_end("对不起，找不到这张工单。")
        return connect(
            click_to_call._hotline(ticket),
            ticket.caller_number,
            voice_urls("u").webhook("bridge-done", t=ticket.id, w=worker.id),
        )
    except Exception:
        log.exception("bridge failed (CallSid %s)", form_field("CallSid"))
        return spoken_end("对不起，系统暂时出现故障，请在工单页面重试。")


@bp.post("/bridge-done")
def bridge_done() -> Response:
    """The leg to the resident ended; its DialCallStatus is the attempt's outcome."""
    session = get_session()
    try:
        ticket, worker = parties(Ticket, "t")
        if ticket is not None and worker is not None:
            click_to_call.finished(
                session, ticket, worker, form_field("CallSid"), form_field("DialCallStatus", 20)
            )
            session.commit()
    except Exception:
        # The worker is still on the line: end it quietly, never with Twilio's error.
        log.exception("bridge-done failed (CallSid %s)", form_field("CallSid"))
        session.rollback()
    return hang_up()


@bp.post("/bridge-status")
def bridge_status() -> Response:
    """Status of the call to the worker's own phone (it may never be answered)."""
    try:
        _record_bridge_status()
    except Exception:
        # Twilio reads nothing back; the attempt stays on the ticket as it was.
        log.exception("bridge-status failed (CallSid %s)", form_field("CallSid"))
        get_session().rollback()
    return xml(str(VoiceResponse()))


def _record_bridge_status() -> None:
    session = get_session()
    call = calls.get_call(session, form_field("CallSid"))
    ticket, worker = parties(Ticket, "t")
    status = form_field("CallStatus", 20)
    if call is not None:
        calls.apply_status(call, status, form_field("CallDuration", 10), utcnow(), None)
    if (
        ticket is not None
        and worker is not None
        and status in ("busy", "no-answer", "failed", "canceled")
    ):
        click_to_call.record_event(
            session,
            ticket,
            worker,
            TicketEventKind.CALLBACK_ATTEMPT,
            via="twilio",
            call_sid=form_field("CallSid"),
            outcome="worker_unreachable",
            worker_status=status,
        )
    session.commit()
