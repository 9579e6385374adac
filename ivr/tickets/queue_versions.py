"""Has a queue changed? Per-station counters that database triggers keep (migration 0010).

Every change to a ticket, or a new entry in its trail, bumps the version of its station
and of the station it was referred from, whoever writes it (a webhook, the transcription
worker, a colleague, a script, another host). A scope's queue version is the sum of its
stations' versions: it only grows, and it moves exactly when something the scope may see
changed — never for another station's tickets.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.tickets import queue as ticket_queue
from ivr.tickets.scope import Scope
from models import Priority, QueueVersion, Ticket

URGENT_SHOWN = 20  # the newest urgent tickets a poll names, enough to tell which are new


def queue_version(session: Session, scope: Scope) -> int:
    """The scope's queue version: one indexed read of at most one row per station."""
    query = select(func.coalesce(func.sum(QueueVersion.version), 0)).where(
        scope.stations_clause(QueueVersion.station_id)  # type: ignore[arg-type]
    )
    return int(session.scalar(query) or 0)


def newest_urgent(session: Session, scope: Scope, limit: int = URGENT_SHOWN) -> list[int]:
    """Ids of the newest unresolved urgent tickets now at the scope's stations (referred
    away: no longer theirs to call back), newest first."""
    query = (
        select(Ticket.id)
        .where(
            scope.stations_clause(Ticket.station_id),  # type: ignore[arg-type]
            ticket_queue.active(),
            Ticket.priority == int(Priority.URGENT),
        )
        .order_by(Ticket.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))
