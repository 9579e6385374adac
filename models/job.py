"""Periodic jobs that run once per interval, however many consumers schedule them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class PeriodicRun(Base):
    """One run of a periodic job in one interval: the row whose insert won the slot.

    Every consumer's scheduler enqueues the job each interval; only the run that inserts
    (name, slot) first does the work.
    """

    __tablename__ = "periodic_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    slot: Mapped[int] = mapped_column(BigInteger, primary_key=True)  # epoch seconds // interval
    owner: Mapped[str] = mapped_column(String(100))
    started_at: Mapped[datetime]
