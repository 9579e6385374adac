"""Twilio's copy of a recording: deleted through Twilio's REST API once ours is stored
and decodes, so a resident's voice is kept in one place only.

The DELETE is a network call and runs outside any transaction; the date it succeeded is
written afterwards in a short one. It is idempotent: a recording already marked is not
asked for again, and Twilio's 404 (already gone) counts as done.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from models import Voicemail, VoicemailState, utcnow

log = logging.getLogger(__name__)


def delete_twilio_copy(
    sessions: sessionmaker[Session],
    auth: tuple[str, str],
    voicemail_id: int,
    http_client: Any = None,
) -> bool:
    """Delete the voicemail's recording at Twilio; True once it is gone there."""
    from twilio.base.exceptions import TwilioRestException
    from twilio.rest import Client

    with sessions() as session:
        row = session.execute(
            select(Voicemail.recording_sid, Voicemail.twilio_deleted_at).where(
                Voicemail.id == voicemail_id
            )
        ).first()
    if row is None:
        return False
    if row.twilio_deleted_at is not None:
        return True
    try:
        Client(*auth, http_client=http_client).recordings(row.recording_sid).delete()
    except TwilioRestException as exc:
        if exc.status != 404:
            log.warning("Twilio refused to delete recording %s: %s", row.recording_sid, exc)
            return False
    except Exception:  # the network or Twilio: the daily retention run tries again
        log.exception("could not delete recording %s from Twilio", row.recording_sid)
        return False
    with sessions() as session:
        session.execute(
            update(Voicemail)
            .where(Voicemail.id == voicemail_id, Voicemail.twilio_deleted_at.is_(None))
            .values(twilio_deleted_at=utcnow())
            .execution_options(synchronize_session=False)
        )
        session.commit()
    return True


def pending_deletions(session: Session, limit: int = 500) -> list[int]:
    """Transcribed voicemails whose Twilio copy is not known to be deleted yet."""
    return list(
        session.scalars(
            select(Voicemail.id)
            .where(
                Voicemail.state == VoicemailState.TRANSCRIBED,
                Voicemail.twilio_deleted_at.is_(None),
                Voicemail.recording_url != "",
            )
            .order_by(Voicemail.id)
            .limit(limit)
        )
    )
