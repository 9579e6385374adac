"""Numbers a station, or the whole city, will not take calls from (abusive callers)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class BlockedNumber(Base):
    """One number on a block list: a station's (``station_id``) or the city's (None).

    A blocked caller hears one short message and is hung up on; the call is logged with
    outcome ``blocked`` and no ticket. ``expires_at`` None blocks until lifted; a lifted
    entry is deleted (the audit log keeps who lifted it). Triggers bump the call path's
    change counter (migration 0017), so every web process reloads its cached copy.
    """

    __tablename__ = "blocked_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(32))  # E.164
    reason: Mapped[str] = mapped_column(String(200), default="")
    expires_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_blocked_numbers_number", "number"),
        Index("ix_blocked_numbers_station_id", "station_id"),
    )
