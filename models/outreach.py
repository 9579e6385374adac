"""Messages the hotline sends residents (the outbox), and who asked for none."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, enum_column, utcnow


class OutboundState(enum.Enum):
    QUEUED = "queued"  # waiting for its send_after
    SENDING = "sending"  # claimed by one job; Twilio is being asked
    SENT = "sent"  # Twilio accepted it (sid stored)
    FAILED = "failed"  # given up, last_error says why
    HELD_QUIET_HOURS = "held_quiet_hours"  # the station's night: waits for its morning
    OPTED_OUT = "opted_out"  # the number replied STOP (to us or to Twilio)


class OutboundMessage(Base):
    """One message the hotline means to send, at most once: its idempotency key is unique
    and a job claims the row (queued → sending) before asking Twilio."""

    __tablename__ = "outbound_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(32), default="acknowledgement")
    idempotency_key: Mapped[str] = mapped_column(String(120), unique=True)
    to_number: Mapped[str] = mapped_column(String(32))
    from_number: Mapped[str] = mapped_column(String(32))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    body: Mapped[str] = mapped_column(Text, default="")
    state: Mapped[OutboundState] = mapped_column(
        enum_column(OutboundState), default=OutboundState.QUEUED
    )
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str] = mapped_column(Text, default="")
    error_code: Mapped[int | None]
    sid: Mapped[str | None] = mapped_column(String(64))
    send_after: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        Index("ix_outbound_messages_state_send_after", "state", "send_after"),
        Index("ix_outbound_messages_ticket_id", "ticket_id"),
        Index("ix_outbound_messages_to_number", "to_number"),
    )


class SmsOptOut(Base):
    """A number's last word on texts from the hotline: STOP/退订 (opted out) or START."""

    __tablename__ = "sms_opt_outs"

    phone_number: Mapped[str] = mapped_column(String(32), primary_key=True)
    opted_out: Mapped[bool] = mapped_column(default=True)
    word: Mapped[str] = mapped_column(String(32), default="")
    changed_at: Mapped[datetime] = mapped_column(default=utcnow)
