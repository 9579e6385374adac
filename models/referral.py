"""Referrals: one station handing a case to another, and the receiver's answer.

A ticket moves to the receiving station when it is referred (``Ticket.station_id``), but
the receiver owes an answer: accept it (then it is theirs to work) or decline it with a
reason (then it goes back to the sender). Each referral is a row, so a ticket referred
more than once keeps its whole history; at most one is pending at a time.

    pending ──accept──▶ accepted ──the ticket resolved──▶ resolved
       └────decline (reason; the ticket returns)──▶ declined

The sender is told of a decline and of the outcome (``notice_unread``), in its console.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, enum_column, utcnow
from models.station import Station
from models.ticket import Ticket


class ReferralState(enum.Enum):
    PENDING = "pending"  # waiting for the receiver to accept or decline
    ACCEPTED = "accepted"  # the receiver works the case
    DECLINED = "declined"  # refused with a reason; the ticket went back to the sender
    RESOLVED = "resolved"  # the receiver resolved the case; the sender has the outcome


class Referral(Base):
    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    # Null: referred from the unassigned queue (a city admin's).
    from_station_id: Mapped[int | None] = mapped_column(
        ForeignKey("stations.id", ondelete="SET NULL")
    )
    to_station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="RESTRICT"))
    state: Mapped[ReferralState] = mapped_column(
        enum_column(ReferralState), default=ReferralState.PENDING
    )
    reason: Mapped[str] = mapped_column(Text, default="")
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The receiver's answer is due by then (its own time limit for the ticket's priority).
    accept_due_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]  # accepted or declined
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decline_reason: Mapped[str] = mapped_column(Text, default="")
    resolved_at: Mapped[datetime | None]
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The outcome as the receiver left it (the ticket may be reopened later).
    outcome_category: Mapped[str | None] = mapped_column(String(32))
    outcome_problems: Mapped[int] = mapped_column(default=0)
    outcome_note: Mapped[str] = mapped_column(Text, default="")
    # The sender has news (a decline, an outcome) it has not opened yet.
    notice_unread: Mapped[bool] = mapped_column(default=False)

    ticket: Mapped[Ticket] = relationship()
    from_station: Mapped[Station | None] = relationship(foreign_keys=[from_station_id])
    to_station: Mapped[Station] = relationship(foreign_keys=[to_station_id])

    __table_args__ = (
        Index("ix_referrals_ticket_id", "ticket_id"),
        Index("ix_referrals_from_station_id_sent_at", "from_station_id", "sent_at"),
        Index("ix_referrals_to_station_id_state", "to_station_id", "state"),
        # One open question at a time: a ticket waits for at most one receiver.
        Index(
            "uq_referrals_pending_per_ticket",
            "ticket_id",
            unique=True,
            sqlite_where=text("state = 'pending'"),
            postgresql_where=text("state = 'pending'"),
        ),
        Index(
            "ix_referrals_unread_notices",
            "from_station_id",
            sqlite_where=text("notice_unread"),
            postgresql_where=text("notice_unread"),
        ),
    )
