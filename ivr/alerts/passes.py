"""The two jobs' work: alert about one ticket now, and the every-minute pass that
escalates, retries and catches any ticket whose nudge was lost."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ivr.alerts import chain, delivery
from ivr.config import Config
from models import Voicemail, utcnow


def alert_ticket(
    sessions: sessionmaker[Session],
    config: Config,
    http_client: Any,
    ticket_id: int | None = None,
    voicemail_id: int | None = None,
) -> list[str]:
    """Start the ticket's alert chain if it needs one, and send what is due for it."""
    with sessions() as session:
        if ticket_id is None and voicemail_id is not None:
            ticket_id = session.scalar(
                select(Voicemail.ticket_id).where(Voicemail.id == voicemail_id)
            )
        if ticket_id is None:
            return []
        chain.start(session, ticket_id, utcnow())
        session.commit()
        ids = delivery.due(session, utcnow(), ticket_id)
    return [delivery.send(sessions, config, alert_id, http_client) for alert_id in ids]


def alert_pass(sessions: sessionmaker[Session], config: Config, http_client: Any) -> dict[str, int]:
    """Escalate unopened tickets, retry what Twilio refused for now, start missed chains."""
    now = utcnow()
    with sessions() as session:
        stale = delivery.give_up_stale_claims(session, now)
        started = sum(
            1 for t in chain.recent_candidates(session, now) if chain.start(session, t, now)
        )
        escalated = 0
        for _step in range(chain.LAST_STEP):  # a skipped step hands on to the next at once
            planned = chain.escalate(session, now)
            escalated += len(planned)
            if not planned:
                break
        session.commit()
        ids = delivery.due(session, now)
    states = [delivery.send(sessions, config, alert_id, http_client) for alert_id in ids]
    return {
        "started": started,
        "escalated": escalated,
        "sent": states.count("sent"),
        "retrying": states.count("retrying"),
        "given_up": states.count("given_up") + stale,
    }
