"""Alerts about tickets that must not wait: an SMS to the on-duty worker, then phone
calls up the roster and to the district until someone opens the ticket."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped, enum_column


class AlertKind(enum.Enum):
    URGENT = "urgent"  # transcript keywords or the menu's urgent node
    MISSED_FORWARD = "missed_forward"  # nobody answered the on-duty phones


class AlertChannel(enum.Enum):
    SMS = "sms"
    CALL = "call"


class AlertState(enum.Enum):
    PENDING = "pending"  # to be sent
    SENDING = "sending"  # claimed by one job; its REST call is under way
    SENT = "sent"  # Twilio accepted it (``sid``)
    RETRYING = "retrying"  # Twilio refused for now (rate limit, timeout): ``next_try_at``
    GIVEN_UP = "given_up"  # refused for good, or too many tries (``last_error``)
    SKIPPED = "skipped"  # no one to reach at this step
    CANCELLED = "cancelled"  # the ticket was opened or resolved before it went out


class Alert(Timestamped, Base):
    """One intended message or call: step 0 is the SMS, later steps are escalation calls.

    ``idempotency_key`` (kind, ticket, step) is unique, and a job claims the row
    (pending → sending) before its REST call, so a job run twice sends once.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    kind: Mapped[AlertKind] = mapped_column(enum_column(AlertKind))
    step: Mapped[int] = mapped_column(default=0)
    channel: Mapped[AlertChannel] = mapped_column(enum_column(AlertChannel))
    to_number: Mapped[str] = mapped_column(String(32), default="")
    recipient: Mapped[str] = mapped_column(String(100), default="")  # a name to show
    idempotency_key: Mapped[str] = mapped_column(String(100), unique=True)
    state: Mapped[AlertState] = mapped_column(enum_column(AlertState), default=AlertState.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    sid: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(Text)
    error_code: Mapped[int | None]  # Twilio's error code, when it gave one
    claimed_at: Mapped[datetime | None]
    next_try_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    # When the next escalation step is due if nobody has opened the ticket; null: last step.
    due_at: Mapped[datetime | None]
    # The first time someone opened the ticket after this alert: escalation stops.
    opened_at: Mapped[datetime | None]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (
        Index("ix_alerts_ticket_id", "ticket_id"),
        Index("ix_alerts_state_next_try_at", "state", "next_try_at"),
        Index("ix_alerts_due_at", "due_at"),
    )
