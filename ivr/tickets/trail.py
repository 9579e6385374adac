"""A case's trail as people read it: who did what, to whom, and which stations.

Events store ids and codes (an actor's id, a referral's station codes, an assignee's
username); this module looks each up once per page, so the trail names people by their
display names and stations by their names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from models import Station, Tag, TicketEvent, User

# Kinds of event the resident's own call causes, not a worker.
CALLER_KINDS = frozenset({"opened", "voicemail_added", "merged"})
# Kinds the system records (transcription), with no one acting.
SYSTEM_KINDS = frozenset({"transcribed", "transcription_failed", "message"})


@dataclass(frozen=True)
class TrailEntry:
    event: TicketEvent
    actor: str = ""  # the acting person's display name; "" when no one is recorded
    station: str = ""  # the acting station's name
    assignee: str = ""  # ASSIGNED: to whom ("" for nobody)
    from_station: str = ""  # REFERRED: station names
    to_station: str = ""
    tags: list[Tag] = field(default_factory=list)  # TAGGED/UNTAGGED/OPENED: tags by name

    @property
    def kind(self) -> str:
        return self.event.kind.value

    @property
    def by(self) -> str:
        """``caller``, ``system``, ``person`` (actor known) or ``unknown``."""
        if self.actor:
            return "person"
        if self.kind in CALLER_KINDS:
            return "caller"
        if self.kind in SYSTEM_KINDS:
            return "system"
        return "unknown"


def _tag_codes(event: TicketEvent) -> list[str]:
    data = event.data or {}
    codes = data.get("tags") or data.get("tags_added") or []
    return [c for c in codes if isinstance(c, str)]


def read_trail(session: Session, events: Sequence[TicketEvent]) -> list[TrailEntry]:
    """``events`` with names looked up, in the order given."""
    user_ids = {e.actor_id for e in events if e.actor_id}
    user_ids |= {
        e.data["assignee_id"] for e in events if isinstance(e.data.get("assignee_id"), int)
    }
    usernames = {e.data["assignee"] for e in events if isinstance(e.data.get("assignee"), str)}
    users = (
        list(
            session.scalars(
                select(User).where(or_(User.id.in_(user_ids), User.username.in_(usernames)))
            )
        )
        if user_ids or usernames
        else []
    )
    by_id = {u.id: u.display_name or u.username for u in users}
    by_username = {u.username: u.display_name or u.username for u in users}
    station_ids = {e.station_id for e in events if e.station_id}
    codes = {
        e.data[key]
        for e in events
        for key in ("from_station", "to_station")
        if isinstance(e.data.get(key), str)
    }
    stations = (
        list(
            session.scalars(
                select(Station).where(or_(Station.id.in_(station_ids), Station.code.in_(codes)))
            )
        )
        if station_ids or codes
        else []
    )
    station_by_id = {s.id: s.name_zh for s in stations}
    station_by_code = {s.code: s.name_zh for s in stations}
    tag_codes = {c for e in events for c in _tag_codes(e)}
    tags = (
        {t.code: t for t in session.scalars(select(Tag).where(Tag.code.in_(tag_codes)))}
        if tag_codes
        else {}
    )
    entries = []
    for event in events:
        data = event.data or {}
        assignee = ""
        if isinstance(data.get("assignee_id"), int):
            assignee = by_id.get(data["assignee_id"], "")
        elif isinstance(data.get("assignee"), str):
            assignee = by_username.get(data["assignee"], data["assignee"])
        entries.append(
            TrailEntry(
                event=event,
                actor=by_id.get(event.actor_id, "") if event.actor_id else "",
                station=station_by_id.get(event.station_id, "") if event.station_id else "",
                assignee=assignee,
                from_station=station_by_code.get(
                    data.get("from_station"), data.get("from_station") or ""
                ),
                to_station=station_by_code.get(
                    data.get("to_station"), data.get("to_station") or ""
                ),
                tags=[tags[c] for c in _tag_codes(event) if c in tags],
            )
        )
    return entries
