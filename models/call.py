"""The call log: one Call per Twilio CallSid and an event for every step."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, enum_column, utcnow


class CallDirection(enum.Enum):
    INBOUND = "inbound"
    CALLBACK = "callback"  # a worker calling a resident back through the app


class CallOutcome(enum.Enum):
    IN_PROGRESS = "in_progress"
    VOICEMAIL = "voicemail"
    ANSWERED = "answered"  # answered by a worker (forwarded, or a call back reached)
    TRANSFERRED = "transferred"
    ABANDONED = "abandoned"  # hung up in the menu
    COMPLETED = "completed"  # heard a message and ended normally
    BLOCKED = "blocked"  # the number is on a block list: one message, hung up, no ticket


class Call(Timestamped, Base):
    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(String(64), unique=True)
    direction: Mapped[CallDirection] = mapped_column(
        enum_column(CallDirection), default=CallDirection.INBOUND
    )
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id", ondelete="SET NULL"))
    from_number: Mapped[str] = mapped_column(String(32), default="")
    to_number: Mapped[str] = mapped_column(String(32), default="")
    language: Mapped[str | None] = mapped_column(String(8))
    menu_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("menu_versions.id", ondelete="SET NULL")
    )
    # Menu node the caller last reached, and the need they chose (a tag code).
    last_node: Mapped[str | None] = mapped_column(String(100))
    chosen_need: Mapped[str | None] = mapped_column(String(64))
    transferred_to_station_id: Mapped[int | None] = mapped_column(
        ForeignKey("stations.id", ondelete="SET NULL")
    )
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    duration_seconds: Mapped[int | None]
    status: Mapped[str] = mapped_column(String(20), default="in-progress")  # Twilio CallStatus
    outcome: Mapped[CallOutcome] = mapped_column(
        enum_column(CallOutcome), default=CallOutcome.IN_PROGRESS
    )

    events: Mapped[list[CallEvent]] = relationship(
        back_populates="call", cascade="all, delete-orphan", order_by="CallEvent.id"
    )

    __table_args__ = (
        Index("ix_calls_station_started", "station_id", "started_at"),
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_from_number", "from_number"),
        Index("ix_calls_caller_id", "caller_id"),
    )


class CallEvent(Base):
    """A step of a call: a node reached, keys pressed, a status callback.

    ``dedupe_key`` identifies a Twilio request, so a retried webhook is logged once.
    """

    __tablename__ = "call_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[str] = mapped_column(String(32))
    node: Mapped[str | None] = mapped_column(String(100))
    digits: Mapped[str | None] = mapped_column(String(32))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    dedupe_key: Mapped[str | None] = mapped_column(String(128))

    call: Mapped[Call] = relationship(back_populates="events")

    __table_args__ = (UniqueConstraint("call_id", "dedupe_key"),)
