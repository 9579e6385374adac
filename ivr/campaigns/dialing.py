"""Click-to-call from a campaign entry: ring the worker, then bridge them to the resident.

The attempt row is written and committed before Twilio is asked (so a second click while
it rings is refused), the REST request runs outside any transaction, and the call's sid is
stored afterwards. Twilio's dial result lands on the entry: an unanswered resident is a
no-answer (and a retry is scheduled); a completed call waits for the worker to say what
came of it (reached, wrong number, needs help), which fills the same attempt.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session, sessionmaker
from twilio.base.exceptions import TwilioException
from twilio.rest import Client

from ivr.calls.click_to_call import has_own_phone
from ivr.campaigns import CampaignInvalid
from ivr.campaigns.outcomes import record_outcome
from ivr.config import Config
from ivr.phone import identifies_caller
from models import (
    Call,
    CallDirection,
    CampaignAttempt,
    CampaignEntry,
    CampaignOutcome,
    EntryState,
    Station,
    User,
    utcnow,
)

RINGING_FOR = timedelta(minutes=2)  # a click within this of the last one is a double click
REST_ERROR = "rest-error"
UNANSWERED = {"busy", "no-answer", "failed", "canceled"}


def hotline_of(station: Station | None) -> str:
    if station is None or not station.hotline_numbers:
        raise CampaignInvalid(_l("这个社工站没有热线号码，无法拨打"))
    return station.hotline_numbers[0].number


def _claim(session: Session, entry: CampaignEntry, worker: User, config: Config) -> int:
    if not has_own_phone(worker):
        raise CampaignInvalid(_l("请先在“我的账户”里填写你自己的电话号码"))
    if not identifies_caller(entry.caller.phone_number):
        raise CampaignInvalid(_l("这位居民的号码无法拨打"))
    if entry.state is not EntryState.PENDING:
        raise CampaignInvalid(_l("这位居民已经有了结果"))
    if not (config.twilio_account_sid and config.twilio_auth_token):
        raise CampaignInvalid(_l("未配置 Twilio 账户，无法拨打"))
    now = utcnow()
    for attempt in entry.attempts_made:
        if (
            attempt.outcome is None
            and attempt.dial_status is None
            and now - attempt.at < RINGING_FOR
        ):
            raise CampaignInvalid(_l("正在拨打中，请稍候"))
    attempt = CampaignAttempt(entry=entry, worker_id=worker.id, at=now)
    session.add(attempt)
    session.flush()
    return attempt.id


def start(
    sessions: sessionmaker[Session],
    config: Config,
    entry_id: int,
    worker_id: int,
    http_client: Any = None,
) -> str:
    """Ring the worker for ``entry_id``; returns the call's sid. Commits its own work."""
    with sessions() as session:
        # The entry's row locked (PostgreSQL; SQLite has one writer): two clicks at the same
        # instant claim one after the other, and the second sees the first ringing.
        entry = session.get(CampaignEntry, entry_id, with_for_update=True)
        worker = session.get(User, worker_id)
        if entry is None or worker is None:
            raise CampaignInvalid(_l("找不到这位居民"))
        attempt_id = _claim(session, entry, worker, config)
        hotline = hotline_of(session.get(Station, entry.station_id) if entry.station_id else None)
        worker_phone, caller_id, station_id = worker.phone, entry.caller_id, entry.station_id
        session.commit()
    query = urlencode({"e": entry_id, "w": worker_id})
    client = Client(config.twilio_account_sid, config.twilio_auth_token, http_client=http_client)
    try:
        call = client.calls.create(
            to=worker_phone,
            from_=hotline,
            url=f"{config.public_url}/twilio/campaign-bridge?{query}",
            method="POST",
            status_callback=f"{config.public_url}/twilio/bridge-status",
            status_callback_method="POST",
        )
    except TwilioException as exc:
        reason = str(exc)[:200]
        with sessions() as session:
            attempt = session.get(CampaignAttempt, attempt_id)
            if attempt is not None:
                attempt.dial_status, attempt.note = REST_ERROR, reason
            session.commit()
        raise CampaignInvalid(_l("Twilio 拒绝了拨打请求：%(reason)s", reason=reason)) from None
    with sessions() as session:
        attempt = session.get(CampaignAttempt, attempt_id)
        if attempt is not None:
            attempt.call_sid = call.sid
        session.add(
            Call(
                call_sid=call.sid,
                direction=CallDirection.CALLBACK,
                station_id=station_id,
                caller_id=caller_id,
                from_number=hotline,
                to_number=worker_phone,
                started_at=utcnow(),
                status="queued",
            )
        )
        session.commit()
    return str(call.sid)


def finished(
    session: Session, entry: CampaignEntry, worker: User, call_sid: str, status: str
) -> None:
    """The leg to the resident ended with DialCallStatus ``status``; once per call."""
    attempt = next((a for a in entry.attempts_made if a.call_sid == call_sid), None)
    if attempt is None or attempt.dial_status is not None:
        return  # not ours, or Twilio retried the callback
    attempt.dial_status = status[:20] or "unknown"
    if status in UNANSWERED and entry.state is EntryState.PENDING and attempt.outcome is None:
        record_outcome(
            session, entry, worker, CampaignOutcome.NO_ANSWER, utcnow(), call_sid=call_sid
        )
