"""Call-back requests: a resident pressed the menu's call-back key and hung up, so that
the hotline rings them back at its own cost (for prepaid phones).

One row per request (``idempotency_key``: the call that asked), written in the call's
step; a job claims it (pending → calling) before its REST call, so a job run twice rings
once, and stores the outbound call's sid after.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column


class CallbackState(enum.Enum):
    PENDING = "pending"  # to be rung
    CALLING = "calling"  # claimed by one job; its REST call is under way
    PLACED = "placed"  # Twilio accepted the outbound call (``sid``)
    FAILED = "failed"  # Twilio refused or did not answer (``last_error``): a ticket opened
    TICKETED = "ticketed"  # the line was closed: a call-back ticket instead of a call


class CallbackRequest(Timestamped, Base):
    __tablename__ = "callback_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    call_sid: Mapped[str] = mapped_column(String(64))  # the inbound call that asked
    caller_number: Mapped[str] = mapped_column(String(32))
    node: Mapped[str] = mapped_column(String(100))  # where the call back enters the menu
    language: Mapped[str] = mapped_column(String(8), default="")
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[CallbackState] = mapped_column(
        enum_column(CallbackState), default=CallbackState.PENDING
    )
    attempts: Mapped[int] = mapped_column(default=0)
    requested_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    placed_at: Mapped[datetime | None]
    sid: Mapped[str | None] = mapped_column(String(64))  # the outbound call's CallSid
    last_error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[int | None]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_callback_requests_number_requested", "caller_number", "requested_at"),
        Index("ix_callback_requests_station_id", "station_id"),
    )
