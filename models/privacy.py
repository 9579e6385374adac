"""How long personal data is kept: retention periods set for the city, a district or a
station (the nearest one set wins)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, utcnow


class RetentionPolicy(Base):
    """Periods in days; None means "as the level above says".

    ``scope`` is ``city``, ``district:<id>`` or ``station:<id>``: one row per level at most.
    """

    __tablename__ = "retention_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    scope: Mapped[str] = mapped_column(String(40), unique=True)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    # Recordings and transcripts: days after their ticket was resolved (or after the
    # voicemail, when it has no ticket). Caller details: days after the last contact.
    recordings_days: Mapped[int | None]
    transcripts_days: Mapped[int | None]
    caller_details_days: Mapped[int | None]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
