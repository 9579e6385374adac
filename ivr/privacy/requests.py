"""A resident's request, as the admin page and ``ivr privacy`` carry it out: export what
is held about a number, or erase it. Both are audit-logged (the number masked)."""

from __future__ import annotations

import logging
from typing import IO, Any

from sqlalchemy.orm import Session, sessionmaker

from ivr.config import Config
from ivr.privacy.erasure import Erased, audit_request, erase, finish
from ivr.privacy.resident import Resident, export_zip, gather
from ivr.privacy.twilio_copy import delete_twilio_copy
from ivr.storage import Storage, storage_for

log = logging.getLogger(__name__)


class NothingHeld(LookupError):
    """No caller, call, voicemail or ticket names this number."""


def look_up(session: Session, number: str) -> Resident:
    resident = gather(session, number)
    if not resident.found:
        raise NothingHeld(number)
    return resident


def export_number(
    session: Session,
    config: Config,
    number: str,
    target: IO[bytes],
    user_id: int | None = None,
    ip: str | None = None,
    via: str = "web",
    *,
    storage: Storage | None = None,
) -> dict[str, int]:
    """Write the resident's archive (recordings read from ``storage``) to ``target``,
    then audit and commit."""
    resident = look_up(session, number)
    made = export_zip(session, resident, storage or storage_for(config, session), target)
    audit_request(session, "privacy.export", resident, user_id, ip, made, via=via)
    session.commit()
    return made


def erase_number(
    session: Session,
    sessions: sessionmaker[Session],
    config: Config,
    number: str,
    force: bool = False,
    user_id: int | None = None,
    ip: str | None = None,
    via: str = "web",
    twilio_http_client: Any = None,
    *,
    storage: Storage | None = None,
) -> Erased:
    """Erase the resident (``ErasureRefused`` with open tickets unless ``force``), commit,
    then delete the files and Twilio's copies, outside the transaction."""
    resident = look_up(session, number)
    open_ids = [t.id for t in resident.open_tickets]
    erased = erase(session, resident, force=force)
    audit_request(
        session,
        "privacy.erase",
        resident,
        user_id,
        ip,
        erased.counts,
        token=erased.token,
        forced=bool(open_ids),
        open_tickets=open_ids,
        via=via,
    )
    session.commit()
    finish(storage or storage_for(config, sessions), erased)
    auth = (config.twilio_account_sid, config.twilio_auth_token)
    for voicemail_id in erased.twilio_pending:
        if not delete_twilio_copy(sessions, auth, voicemail_id, twilio_http_client):
            log.warning("Twilio's copy of voicemail %s is left for the retention run", voicemail_id)
    return erased
