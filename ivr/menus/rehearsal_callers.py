"""Who rings in a test call: a number the admin typed, recognised in the caller registry
as the webhook recognises it (flagged elderly: the menu's elderly path), within what the
station may know."""

from __future__ import annotations

from typing import Any

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, selectinload

from ivr.menus import engine
from models import Call, Caller, Station, Vulnerability


def known_caller(session: Session, station: Station, number: str) -> engine.CallerFacts | None:
    """What the registry says of ``number``, if the resident is known at this station (it
    is their home station, or they have called it); None otherwise. A test call at one
    station never learns what another station's residents are flagged as."""
    called_here = exists().where(Call.caller_id == Caller.id, Call.station_id == station.id)
    row = session.scalar(
        select(Caller)
        .where(Caller.phone_number == number)
        .where(or_(Caller.home_station_id == station.id, called_here))
        .options(selectinload(Caller.vulnerabilities))
    )
    if row is None:
        return None
    elderly = Vulnerability.LONE_ELDERLY in row.flags
    return engine.CallerFacts(elderly=elderly, language=row.preferred_language)


def caller_entry(
    number: str, caller: engine.CallerFacts | None, elderly_path: bool
) -> dict[str, Any]:
    if caller is None:
        return {"type": "caller", "number": number, "known": "no"}
    return {
        "type": "caller",
        "number": number,
        "known": "yes",
        "elderly": "yes" if caller.elderly else "no",
        "path": "elderly" if elderly_path else "start",
    }
