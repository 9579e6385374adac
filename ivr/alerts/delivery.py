"""Send one alert through Twilio's REST API, once, and record how it went.

A job first claims the row (pending or retrying → sending) in a short transaction of its
own; only the job whose update changed the row calls Twilio, with no transaction open.
The outcome (sid, or Twilio's error code and message) is written afterwards and shown on
the ticket's trail. Rate limits, Twilio's server errors and timeouts are tried again
later; a refusal (an unsubscribed or landline number, an invalid one) is given up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session, sessionmaker
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from ivr.alerts.chain import record
from ivr.config import Config
from ivr.menus.voices import say_language
from models import (
    Alert,
    AlertChannel,
    AlertState,
    TagKind,
    Ticket,
    TicketStatus,
    Transcript,
    Voicemail,
    utcnow,
)

MAX_ATTEMPTS = 3
RETRY_AFTER = (timedelta(seconds=30), timedelta(minutes=2))
# A claim older than this belonged to a job that died mid-call; whether Twilio got the
# request is unknown, so the alert is given up rather than risk sending it twice.
CLAIM_STALE = timedelta(minutes=5)
RETRYABLE_CODES = frozenset({20429, 20500, 20503})
FIRST_WORDS = 30


@dataclass(frozen=True)
class Message:
    """What one alert says and whereabouts: everything the REST call needs."""

    alert_id: int
    channel: AlertChannel
    to: str
    from_: str
    body: str


def due(session: Session, now: datetime, ticket_id: int | None = None) -> list[int]:
    """Alerts ready to go: pending, or retrying and past their wait."""
    query = select(Alert.id).where(
        or_(
            Alert.state == AlertState.PENDING,
            (Alert.state == AlertState.RETRYING) & (Alert.next_try_at <= now),
        )
    )
    if ticket_id is not None:
        query = query.where(Alert.ticket_id == ticket_id)
    return list(session.scalars(query.order_by(Alert.id)))


def _need_names(ticket: Ticket) -> str:
    names = [t.name_zh or t.code for t in ticket.tags if t.kind is TagKind.NEED]
    return "、".join(names) or _("未说明")


def _first_words(session: Session, ticket_id: int) -> str:
    text = session.scalar(
        select(Transcript.text)
        .join(Voicemail, Voicemail.id == Transcript.voicemail_id)
        .where(Voicemail.ticket_id == ticket_id, Transcript.text != "")
        .order_by(Transcript.id.desc())
        .limit(1)
    )
    if not text:
        return _("（录音尚未转写）")
    return text if len(text) <= FIRST_WORDS else text[:FIRST_WORDS] + "…"


def compose(session: Session, config: Config, alert: Alert, ticket: Ticket) -> Message | None:
    """The SMS or the call's TwiML for ``alert``; None when the station has no number."""
    station = ticket.station
    if station is None or not station.hotline_numbers:
        return None
    with force_locale("zh"):
        if alert.channel is AlertChannel.SMS:
            link = f"{config.public_url}/console/tickets/{ticket.id}"
            title = _("紧急工单") if alert.kind.value == "urgent" else _("值班电话无人接听")
            body = _(
                "【%(station)s】%(title)s #%(id)s：%(need)s。“%(words)s” %(link)s",
                station=station.name_zh,
                title=title,
                id=ticket.id,
                need=_need_names(ticket),
                words=_first_words(session, ticket.id),
                link=link,
            )
        else:
            response = VoiceResponse()
            speech = _(
                "这里是%(station)s热线。紧急工单%(id)s号，已经%(minutes)s分钟没有人查看，请尽快登录处理。",
                station=station.name_zh,
                id=ticket.id,
                minutes=station.alert_escalation_minutes * alert.step,
            )
            response.say(speech, language=say_language("zh"))
            response.pause(length=1)
            response.say(speech, language=say_language("zh"))
            body = str(response)
    return Message(
        alert.id, alert.channel, alert.to_number, station.hotline_numbers[0].number, body
    )


def claim(session: Session, alert_id: int, now: datetime) -> bool:
    """Take the alert for this job; False if another job has it or it is not due."""
    taken = session.execute(
        update(Alert)
        .where(
            Alert.id == alert_id,
            or_(
                Alert.state == AlertState.PENDING,
                (Alert.state == AlertState.RETRYING) & (Alert.next_try_at <= now),
            ),
        )
        .values(state=AlertState.SENDING, claimed_at=now, attempts=Alert.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1  # type: ignore[attr-defined]


def _rest(config: Config, message: Message, http_client: Any) -> str:
    client = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http_client)
    if message.channel is AlertChannel.SMS:
        return str(
            client.messages.create(to=message.to, from_=message.from_, body=message.body).sid
        )
    return str(client.calls.create(to=message.to, from_=message.from_, twiml=message.body).sid)


def _retryable(exc: Exception) -> bool:
    if isinstance(exc, TwilioRestException):
        return exc.status == 429 or exc.status >= 500 or (exc.code or 0) in RETRYABLE_CODES
    return True  # a timeout or a connection that failed: Twilio may answer next time


def send(sessions: sessionmaker[Session], config: Config, alert_id: int, http_client: Any) -> str:
    """Send alert ``alert_id`` if it is due and this job claims it; returns its state."""
    now = utcnow()
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        if alert is None:
            return "missing"
        ticket = session.get(Ticket, alert.ticket_id)
        if alert.step > 0 and (
            ticket is None or ticket.status is TicketStatus.RESOLVED or _opened(session, alert)
        ):
            if alert.state in (AlertState.PENDING, AlertState.RETRYING):
                alert.state = AlertState.CANCELLED
                record(session, alert, "cancelled")
                session.commit()
            return alert.state.value
        if ticket is None or not claim(session, alert_id, now):
            session.rollback()
            return alert.state.value
        message = compose(session, config, alert, ticket)
        if message is None or not (config.twilio_account_sid and config.twilio_auth_token):
            reason = (
                "no hotline number to send from" if message is None else "Twilio not configured"
            )
            _finish(session, alert_id, AlertState.GIVEN_UP, last_error=reason)
            session.commit()
            return AlertState.GIVEN_UP.value
        session.commit()
    try:
        sid = _rest(config, message, http_client)
    except (TwilioException, OSError) as exc:
        return _failed(sessions, alert_id, exc)
    with sessions() as session:
        _finish(session, alert_id, AlertState.SENT, sid=sid, sent_at=utcnow(), last_error=None)
        session.commit()
    return AlertState.SENT.value


def _opened(session: Session, alert: Alert) -> bool:
    first = session.scalar(
        select(Alert.opened_at).where(Alert.ticket_id == alert.ticket_id, Alert.step == 0)
    )
    return first is not None


def _failed(sessions: sessionmaker[Session], alert_id: int, exc: Exception) -> str:
    code = exc.code if isinstance(exc, TwilioRestException) else None
    reason = (
        f"{code}: {exc.msg}"[:500]
        if isinstance(exc, TwilioRestException)
        else f"{type(exc).__name__}: {exc}"[:500]
    )
    with sessions() as session:
        alert = session.get(Alert, alert_id)
        assert alert is not None
        if _retryable(exc) and alert.attempts < MAX_ATTEMPTS:
            wait = RETRY_AFTER[min(alert.attempts, len(RETRY_AFTER)) - 1]
            state = AlertState.RETRYING
            _finish(
                session,
                alert_id,
                state,
                last_error=reason,
                error_code=code,
                next_try_at=utcnow() + wait,
            )
        else:
            state = AlertState.GIVEN_UP
            _finish(session, alert_id, state, last_error=reason, error_code=code)
        session.commit()
    return state.value


def _finish(session: Session, alert_id: int, state: AlertState, **values: object) -> None:
    """Write the outcome of this job's claim, and put it on the ticket's trail."""
    session.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.state == AlertState.SENDING)
        .values(state=state, **values)
        .execution_options(synchronize_session=False)
    )
    alert = session.get(Alert, alert_id, populate_existing=True)
    assert alert is not None
    extra = {"sid": alert.sid} if alert.sid else {}
    if alert.last_error:
        extra["error"] = alert.last_error
    if alert.error_code:
        extra["code"] = alert.error_code
    record(session, alert, state.value, attempt=alert.attempts, **extra)


def give_up_stale_claims(session: Session, now: datetime) -> int:
    """Claims left by jobs that died mid-call. The caller commits."""
    stale = session.scalars(
        select(Alert).where(Alert.state == AlertState.SENDING, Alert.claimed_at < now - CLAIM_STALE)
    ).all()
    for alert in stale:
        alert.state = AlertState.GIVEN_UP
        alert.last_error = "the job sending it stopped; not sent again in case it went out"
        record(session, alert, "given_up", error=alert.last_error)
    return len(stale)
