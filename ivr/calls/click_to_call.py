"""Click-to-call: ring the worker's own phone, then bridge them to the resident.

The resident sees the station's hotline number, never the worker's. Twilio's callbacks
tell how it went, and each outcome lands on the ticket as a call-back attempt.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ivr.config import Config
from ivr.phone import identifies_caller, is_e164
from ivr.tickets.actions import TicketActionInvalid, record_event
from models import Call, CallDirection, Ticket, TicketEventKind, User, utcnow

DIAL_OUTCOMES = {
    "completed": "reached",
    "answered": "reached",
    "busy": "busy",
    "no-answer": "no_answer",
    "failed": "no_answer",
    "canceled": "no_answer",
}


def has_own_phone(worker: User) -> bool:
    """Whether the worker's account holds a phone of their own to ring first."""
    return bool(worker.phone) and is_e164(worker.phone or "")


def _hotline(ticket: Ticket) -> str:
    if ticket.station is None or not ticket.station.hotline_numbers:
        raise TicketActionInvalid(_l("这个社工站没有热线号码，无法回电"))
    return ticket.station.hotline_numbers[0].number


def start(
    session: Session, config: Config, ticket: Ticket, worker: User, http_client: Any = None
) -> str:
    """Ask Twilio to ring ``worker``; returns the new call's sid. The caller commits."""
    if not has_own_phone(worker):
        raise TicketActionInvalid(_l("请先在“我的账户”里填写你自己的电话号码"))
    if not identifies_caller(ticket.caller_number):  # withheld placeholders ring no one
        raise TicketActionInvalid(_l("这位居民的号码无法拨打"))
    if not (config.twilio_account_sid and config.twilio_auth_token):
        raise TicketActionInvalid(_l("未配置 Twilio 账户，无法回电"))
    query = urlencode({"t": ticket.id, "w": worker.id})
    client = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http_client)
    try:
        call = client.calls.create(
            to=worker.phone,
            from_=_hotline(ticket),
            url=f"{config.public_url}/twilio/bridge?{query}",
            method="POST",
            status_callback=f"{config.public_url}/twilio/bridge-status?{query}",
            status_callback_method="POST",
        )
    except TwilioException as exc:
        raise TicketActionInvalid(
            _l("Twilio 拒绝了回电请求：%(reason)s", reason=str(exc)[:200])
        ) from None
    session.add(
        Call(
            call_sid=call.sid,
            direction=CallDirection.CALLBACK,
            station_id=ticket.station_id,
            caller_id=ticket.caller_id,
            from_number=_hotline(ticket),
            to_number=worker.phone,
            started_at=utcnow(),
            status="queued",
        )
    )
    record_event(
        session,
        ticket,
        worker,
        TicketEventKind.CALLBACK_ATTEMPT,
        via="twilio",
        call_sid=call.sid,
        outcome="ringing_worker",
    )
    return str(call.sid)


def finished(
    session: Session, ticket: Ticket, worker: User, call_sid: str, dial_status: str
) -> None:
    """The bridged leg to the resident ended: record how, once per call."""
    outcome = DIAL_OUTCOMES.get(dial_status, "no_answer")
    already = any(
        e.kind is TicketEventKind.CALLBACK_ATTEMPT
        and e.data.get("call_sid") == call_sid
        and e.data.get("dial_status")
        for e in ticket.events
    )
    if already:
        return
    if ticket.first_callback_at is None:
        ticket.first_callback_at = utcnow()
    record_event(
        session,
        ticket,
        worker,
        TicketEventKind.CALLBACK_ATTEMPT,
        via="twilio",
        call_sid=call_sid,
        outcome=outcome,
        dial_status=dial_status,
    )
