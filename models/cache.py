"""Change counters for what processes cache from the database.

A call step reads stations, their numbers, rosters and published menus from a per-process
cache (``ivr.stations.directory``). Database triggers (migration 0008) bump
``call_path`` on every insert, update or delete of those tables, whoever writes them —
a settings page, a CSV import, a script, another host — so each process notices a change
with one small read per request and reloads.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

CALL_PATH = "call_path"
# The tables a call step reads through the cache; each has triggers that bump CALL_PATH.
CALL_PATH_TABLES = ("stations", "hotline_numbers", "on_duty_phones", "menu_versions")


class CacheGeneration(Base):
    """One named counter; its value only matters by changing."""

    __tablename__ = "cache_generations"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, default=0)
