"""Outreach campaigns (电访): a call list of residents that workers phone, and each try."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, enum_column
from models.caller import Caller
from models.ticket import Ticket
from models.user import User


class EntryState(enum.Enum):
    PENDING = "pending"  # not tried yet, or a retry is due at next_try_at
    REACHED = "reached"
    NEEDS_HELP = "needs_help"  # reached, and a ticket was opened
    WRONG_NUMBER = "wrong_number"
    GAVE_UP = "gave_up"  # no answer on every try


class CampaignOutcome(enum.Enum):
    REACHED = "reached"
    NO_ANSWER = "no_answer"
    WRONG_NUMBER = "wrong_number"
    NEEDS_HELP = "needs_help"


class Campaign(Timestamped, Base):
    """A call list built by a station or district admin."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    # The station the campaign belongs to, or its district for a district-wide list.
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="CASCADE"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # How the list was chosen (flags, stations, days since last contact, or "csv").
    criteria: Mapped[dict] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")

    entries: Mapped[list[CampaignEntry]] = relationship(
        back_populates="campaign", cascade="all, delete-orphan", passive_deletes=True
    )


class CampaignEntry(Base):
    """One resident on a campaign's list: who calls them, how it went, when to try again."""

    __tablename__ = "campaign_entries"
    __table_args__ = (
        UniqueConstraint("campaign_id", "caller_id"),
        Index("ix_campaign_entries_assignee_state", "assignee_id", "state", "next_try_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    caller_id: Mapped[int] = mapped_column(ForeignKey("callers.id", ondelete="CASCADE"))
    # The station whose number the call goes out from (the resident's home station).
    station_id: Mapped[int | None] = mapped_column(
        ForeignKey("stations.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[EntryState] = mapped_column(enum_column(EntryState), default=EntryState.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime | None]
    last_outcome: Mapped[CampaignOutcome | None] = mapped_column(enum_column(CampaignOutcome))
    last_tried_at: Mapped[datetime | None]
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))

    campaign: Mapped[Campaign] = relationship(back_populates="entries")
    caller: Mapped[Caller] = relationship()
    assignee: Mapped[User | None] = relationship()
    ticket: Mapped[Ticket | None] = relationship()
    attempts_made: Mapped[list[CampaignAttempt]] = relationship(
        back_populates="entry",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="CampaignAttempt.id",
    )


class CampaignAttempt(Base):
    """One call to a campaign entry's resident: who called, when, and what came of it."""

    __tablename__ = "campaign_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(
        ForeignKey("campaign_entries.id", ondelete="CASCADE"), index=True
    )
    worker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    at: Mapped[datetime]
    # None while a click-to-call is ringing; the outcome once it is known.
    outcome: Mapped[CampaignOutcome | None] = mapped_column(enum_column(CampaignOutcome))
    call_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    # Twilio's DialCallStatus for a click-to-call ("completed", "no-answer" …).
    dial_status: Mapped[str | None] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")

    entry: Mapped[CampaignEntry] = relationship(back_populates="attempts_made")
