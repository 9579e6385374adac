"""Counters for rate limits, shared by every web process through the database.

Used for sign-in throttling when no Redis is configured: each row is one fixed-window
counter of the ``limits`` library's storage interface (key, hits, when it expires).
"""

from __future__ import annotations

from sqlalchemy import Float, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class RateCounter(Base):
    __tablename__ = "rate_counters"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    hits: Mapped[int]
    # Epoch seconds, as ``limits`` reckons windows; a row past it counts as absent.
    expires_at: Mapped[float] = mapped_column(Float, index=True)
