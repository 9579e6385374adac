"""Change counters for what processes cache from the database.

A call step reads stations, their numbers, rosters and published menus from a per-process
cache (``ivr.stations.directory``). Database triggers (migration 0008) bump
``call_path`` on every insert, update or delete of those tables, whoever writes them —
a settings page, a CSV import, a script, another host — so each process notices a change
with one small read per request and reloads.

Per-station queue versions work the same way for the console's live queue: a poll reads
the counters of the stations in the user's scope, never the tickets.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

CALL_PATH = "call_path"
# The tables a call step reads through the cache; each has triggers that bump CALL_PATH.
CALL_PATH_TABLES = (
    "stations",
    "hotline_numbers",
    "on_duty_phones",
    "menu_versions",
    "blocked_numbers",  # migration 0017
)
# The queue version of tickets with no station (the city's unassigned queue).
UNASSIGNED_QUEUE = 0


class CacheGeneration(Base):
    """One named counter; its value only matters by changing."""

    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)


class QueueVersion(Base):
    """How many times a station's queue has changed: a ticket of it (or referred away
    from it) opened, changed, moved or deleted, or an entry added to a ticket's trail.

    Kept by triggers on ``tickets`` and ``ticket_events`` (migration 0010), so a console
    polling for changes reads one row per station instead of the tickets themselves.
    ``station_id`` 0 is the unassigned queue (tickets with no station).
    """

    __tablename__ = "queue_versions"

    station_id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger, default=0)
