"""The job's half of a message: decide, claim, ask Twilio, record. No transaction is
open while Twilio is asked."""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime
from typing import Any

from requests import RequestException
from sqlalchemy.orm import Session
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client

from ivr.config import Config
from ivr.outreach import acknowledgement, messages, opt_outs, quiet_hours
from ivr.phone import mask
from models import OutboundMessage, OutboundState, Station, Ticket

log = logging.getLogger(__name__)
Sessions = Callable[[], AbstractContextManager[Session]]


def _prepare(session: Session, message: OutboundMessage, now: datetime) -> str | None:
    """The body to send now, or None after settling a message that is not to go now."""
    station = session.get(Station, message.station_id) if message.station_id else None
    if opt_outs.is_opted_out(session, message.to_number):
        messages.settle(
            session, message, OutboundState.OPTED_OUT, "the number replied STOP", at=now
        )
        return None
    if station is None:
        messages.settle(
            session, message, OutboundState.FAILED, "the station no longer exists", at=now
        )
        return None
    morning = quiet_hours.quiet_until(station, now)
    if morning is not None:
        if message.state is not OutboundState.HELD_QUIET_HOURS:
            message.send_after = morning
            messages.settle(session, message, OutboundState.HELD_QUIET_HOURS, at=now)
        else:
            message.send_after = morning
        return None
    ticket = session.get(Ticket, message.ticket_id) if message.ticket_id else None
    return acknowledgement.render(station, ticket, message.language)


def send(
    sessions: Sessions, config: Config, http_client: Any, message_id: int, now: datetime
) -> OutboundState | None:
    """Move one message on; its state afterwards, or None if it was not this job's."""
    with sessions() as session:
        message = session.get(OutboundMessage, message_id)
        if message is None or message.state not in messages.SENDABLE or message.send_after > now:
            return None
        body = _prepare(session, message, now)
        if body is None:
            session.commit()
            return message.state
        won = messages.claim(session, message_id, body, now)
        session.commit()
        if not won:
            return None
        to, sender = message.to_number, message.from_number
    sid, failure = _ask_twilio(config, http_client, to, sender, body)
    with sessions() as session:
        message = session.get(OutboundMessage, message_id)
        assert message is not None
        if sid is not None:
            messages.sent(session, message, sid, now)
        else:
            assert failure is not None
            if failure.unsubscribed:
                opt_outs.remember(session, to, True, "twilio:21610", now)
            messages.failed(session, message, failure, now)
            log.warning("text %s to %s: %s", message_id, mask(to), failure.reason)
        session.commit()
        return message.state


def _ask_twilio(
    config: Config, http_client: Any, to: str, sender: str, body: str
) -> tuple[str | None, messages.RestFailure | None]:
    if not (config.twilio_account_sid and config.twilio_auth_token):
        return None, messages.RestFailure("no Twilio account is configured", status=0)
    client = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http_client)
    try:
        created = client.messages.create(to=to, from_=sender, body=body)
    except TwilioRestException as exc:
        reason = f"Twilio {exc.code or exc.status}: {(exc.msg or '')[:200]}"
        return None, messages.RestFailure(reason, exc.code, exc.status)
    except (RequestException, TwilioException, OSError) as exc:
        return None, messages.RestFailure(f"{type(exc).__name__}: {str(exc)[:200]}")
    return str(created.sid), None


def send_due(sessions: Sessions, config: Config, http_client: Any, now: datetime) -> int:
    """Send every message whose time has come; how many were sent."""
    with sessions() as session:
        messages.give_up_lost_claims(session, now)
        ids = messages.due(session, now)
        session.commit()
    results = [send(sessions, config, http_client, i, now) for i in ids]
    return sum(1 for state in results if state is OutboundState.SENT)
