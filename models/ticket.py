"""Call-back tickets: the case a worker works, its audit trail, and its tags."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, enum_column, utcnow

if TYPE_CHECKING:
    from models.caller import Caller
    from models.station import Station
    from models.user import User
    from models.voicemail import Voicemail


class TicketStatus(enum.Enum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"


class Priority(enum.IntEnum):
    """Sorts ascending: urgent first."""

    URGENT = 0
    HIGH = 1
    NORMAL = 2
    LOW = 3


class TicketSource(enum.Enum):
    VOICEMAIL = "voicemail"
    ABANDONED = "abandoned"  # chose a need, hung up before the beep
    MANUAL = "manual"
    CALLBACK = "callback"  # pressed the call-back key: the line was closed, or Twilio failed


class ResolutionCategory(enum.Enum):
    FOOD = "food"
    MEDICINE = "medicine"
    MEDICAL = "medical"
    EMOTIONAL = "emotional"
    POLICY = "policy"
    OTHER = "other"


class TagKind(enum.Enum):
    NEED = "need"
    URGENCY = "urgency"
    VULNERABILITY = "vulnerability"
    CUSTOM = "custom"


ticket_tags = Table(
    "ticket_tags",
    Base.metadata,
    Column("ticket_id", ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True),
)


class Tag(Base):
    __tablename__ = "tags"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    kind: Mapped[TagKind] = mapped_column(enum_column(TagKind), default=TagKind.CUSTOM)


class TagRule(Timestamped, Base):
    """A keyword that tags a transcript; global when ``station_id`` is null."""

    __tablename__ = "tag_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"))
    language: Mapped[str] = mapped_column(String(8))
    keyword: Mapped[str] = mapped_column(String(100))
    active: Mapped[bool] = mapped_column(default=True)

    tag: Mapped[Tag] = relationship()

    __table_args__ = (
        UniqueConstraint("station_id", "tag_id", "language", "keyword"),
        Index("ix_tag_rules_station_id", "station_id"),
    )


class Ticket(Timestamped, Base):
    """A resident owed a call back. Repeat voicemails join the caller's open ticket."""

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Null: a call to an unknown number, in the city's "unassigned" queue.
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="RESTRICT"))
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id", ondelete="SET NULL"))
    caller_number: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[TicketSource] = mapped_column(
        enum_column(TicketSource), default=TicketSource.VOICEMAIL
    )
    status: Mapped[TicketStatus] = mapped_column(
        enum_column(TicketStatus), default=TicketStatus.OPEN
    )
    priority: Mapped[int] = mapped_column(default=int(Priority.NORMAL))
    due_at: Mapped[datetime]
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_callback_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    referred_from_station_id: Mapped[int | None] = mapped_column(
        ForeignKey("stations.id", ondelete="SET NULL")
    )
    resolution_category: Mapped[ResolutionCategory | None] = mapped_column(
        enum_column(ResolutionCategory)
    )
    problems_solved: Mapped[int] = mapped_column(default=0)
    # Optimistic locking: two workers saving the same ticket cannot overwrite each other.
    version_id: Mapped[int] = mapped_column(default=1)

    tags: Mapped[list[Tag]] = relationship(secondary=ticket_tags, order_by="Tag.code")
    events: Mapped[list[TicketEvent]] = relationship(
        back_populates="ticket", cascade="all, delete-orphan", order_by="TicketEvent.id"
    )
    station: Mapped[Station | None] = relationship(foreign_keys=[station_id])
    referred_from: Mapped[Station | None] = relationship(foreign_keys=[referred_from_station_id])
    caller: Mapped[Caller | None] = relationship()
    assignee: Mapped[User | None] = relationship()
    voicemails: Mapped[list[Voicemail]] = relationship(order_by="Voicemail.id", viewonly=True)

    __mapper_args__ = {"version_id_col": version_id}
    __table_args__ = (
        Index("ix_tickets_queue", "station_id", "status", "priority", "due_at"),
        Index("ix_tickets_caller_id", "caller_id"),
        Index("ix_tickets_opened_at", "opened_at"),
        # Statistics read tickets by the day each of these fell on (ivr.stats).
        Index("ix_tickets_resolved_at", "resolved_at"),
        Index("ix_tickets_first_callback_at", "first_callback_at"),
        Index("ix_tickets_due_at", "due_at"),
        Index("ix_tickets_assignee_id", "assignee_id"),
        # A station sees tickets it referred away too: "station_id = X OR referred_from = X"
        # needs both sides indexed to avoid reading every active ticket in the city.
        Index(
            "ix_tickets_referred_from_station_id",
            "referred_from_station_id",
            sqlite_where=text("referred_from_station_id IS NOT NULL"),
            postgresql_where=text("referred_from_station_id IS NOT NULL"),
        ),
        # The city's active queue in queue order: the first page stops after LIMIT rows.
        Index(
            "ix_tickets_active_order",
            "priority",
            "due_at",
            "id",
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        # A station's (or district's) queue straight from an index in queue order, active
        # or every status; its keyset pages are one range each (ivr.tickets.queue.after).
        Index(
            "ix_tickets_station_active_order",
            "station_id",
            "priority",
            "due_at",
            "id",
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_tickets_station_order", "station_id", "priority", "due_at", "id"),
        Index("ix_tickets_order", "priority", "due_at", "id"),  # the API's every-status list
        # At most one open case per caller per station: repeat calls join it.
        Index(
            "uq_tickets_open_per_caller",
            "station_id",
            "caller_id",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
    )


class TicketEventKind(enum.Enum):
    OPENED = "opened"
    VOICEMAIL_ADDED = "voicemail_added"
    MERGED = "merged"  # another contact (e.g. an abandoned call) joined the case
    TRANSCRIBED = "transcribed"
    TRANSCRIPTION_FAILED = "transcription_failed"  # no audio, not audio, no model …
    TAGGED = "tagged"
    UNTAGGED = "untagged"
    PRIORITY_CHANGED = "priority_changed"
    NOTE = "note"
    CALLBACK_ATTEMPT = "callback_attempt"
    ASSIGNED = "assigned"
    STATUS_CHANGED = "status_changed"
    REFERRED = "referred"
    REFERRAL_ACCEPTED = "referral_accepted"
    REFERRAL_DECLINED = "referral_declined"  # the receiver said no; the ticket went back
    REFERRAL_RESOLVED = "referral_resolved"  # the sender told of the receiver's outcome
    RESOLVED = "resolved"
    REOPENED = "reopened"
    TRANSCRIPT_CORRECTED = "transcript_corrected"  # a person corrected a voicemail's transcript
    MESSAGE = "message"  # a text to the resident: sent, held for the night, refused …
    ALERT = "alert"  # an urgent alert or escalation step, and how it went (ivr.alerts)


class TicketEvent(Base):
    """One entry in a case's trail. Never edited; the trail is the record."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    kind: Mapped[TicketEventKind] = mapped_column(enum_column(TicketEventKind))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The station acting, so a referral's trail shows both sides.
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    note: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    ticket: Mapped[Ticket] = relationship(back_populates="events")

    __table_args__ = (
        Index("ix_ticket_events_ticket_id", "ticket_id"),
        Index("ix_ticket_events_kind_at", "kind", "at"),
    )
