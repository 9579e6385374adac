"""Voicemails left by residents and their offline transcripts."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, enum_column

if TYPE_CHECKING:
    from models.user import User


class VoicemailState(enum.Enum):
    RECEIVED = "received"  # callback seen, audio not yet fetched
    FETCHED = "fetched"  # audio stored locally, not yet transcribed
    TRANSCRIBED = "transcribed"  # final
    NO_AUDIO = "no_audio"  # final: Twilio reported no usable recording
    FAILED = "failed"  # final: gave up, see last_error

    @property
    def is_final(self) -> bool:
        return self in (VoicemailState.TRANSCRIBED, VoicemailState.NO_AUDIO, VoicemailState.FAILED)


# Voicemails still waiting for transcription, or failed: statistics query with this exact
# text so that SQLite and PostgreSQL both match it to the partial index below.
UNFINISHED_OR_FAILED = "voicemails.state IN ('received', 'fetched', 'failed')"


class Voicemail(Timestamped, Base):
    __tablename__ = "voicemails"

    id: Mapped[int] = mapped_column(primary_key=True)
    recording_sid: Mapped[str] = mapped_column(String(64), unique=True)
    call_id: Mapped[int | None] = mapped_column(ForeignKey("calls.id", ondelete="SET NULL"))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="SET NULL"))
    caller_id: Mapped[int | None] = mapped_column(ForeignKey("callers.id", ondelete="SET NULL"))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id", ondelete="SET NULL"))
    recording_url: Mapped[str] = mapped_column(String(500), default="")
    duration_seconds: Mapped[int | None]
    language: Mapped[str | None] = mapped_column(String(8))
    # Tags the menu node implied (e.g. ["food"]) and its priority, kept for the ticket.
    menu_tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    menu_priority: Mapped[str | None] = mapped_column(String(16))
    state: Mapped[VoicemailState] = mapped_column(
        enum_column(VoicemailState), default=VoicemailState.RECEIVED
    )
    attempts: Mapped[int] = mapped_column(default=0)  # jobs that claimed it
    # Decodes started: counted before each one, so a recording that kills its decoder is
    # seen on the next claim even though the process that tried it could record nothing.
    decode_attempts: Mapped[int] = mapped_column(default=0, server_default=text("0"))
    # The lease: which job holds the voicemail and until when (renewed while it works).
    lease_owner: Mapped[str | None] = mapped_column(String(100))
    lease_expires_at: Mapped[datetime | None]
    # A retry is scheduled for then; until it is due, nobody else takes the voicemail.
    retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    # Local copy: a server-chosen path relative to the storage directory.
    storage_path: Mapped[str | None] = mapped_column(String(300))
    sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(BigInteger)
    content_type: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[datetime | None]
    transcribed_at: Mapped[datetime | None]
    # Privacy: when retention or an erasure deleted our copy (``storage_path`` cleared),
    # and when Twilio's copy was deleted (or found already gone).
    purged_at: Mapped[datetime | None]
    twilio_deleted_at: Mapped[datetime | None]

    transcript: Mapped[Transcript | None] = relationship(
        back_populates="voicemail", cascade="all, delete-orphan", uselist=False
    )

    __table_args__ = (
        Index("ix_voicemails_state_updated", "state", "updated_at"),
        # Statistics' live figures: the few not yet transcribed, or failed, in a period. Partial,
        # so it stays small, and the planner (given ANALYZE) prefers it to the station index.
        Index(
            "ix_voicemails_unfinished_created",
            "created_at",
            sqlite_where=text(UNFINISHED_OR_FAILED),
            postgresql_where=text(UNFINISHED_OR_FAILED),
        ),
        Index("ix_voicemails_station_created", "station_id", "created_at"),
        Index("ix_voicemails_ticket_id", "ticket_id"),
        Index("ix_voicemails_call_id", "call_id"),
    )


class Transcript(Base):
    """What Vosk heard in a voicemail."""

    __tablename__ = "transcripts"

    id: Mapped[int] = mapped_column(primary_key=True)
    voicemail_id: Mapped[int] = mapped_column(
        ForeignKey("voicemails.id", ondelete="CASCADE"), unique=True
    )
    text: Mapped[str] = mapped_column(Text, default="")  # for reading: CJK spaces removed
    raw_text: Mapped[str] = mapped_column(Text, default="")  # as the recogniser gave it
    # [{"word": "米", "start": 0.42, "end": 0.61, "conf": 0.93}, ...]
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    confidence: Mapped[float | None]
    language: Mapped[str] = mapped_column(String(8))
    # True when the caller's language had no model and another language's was used.
    language_fallback: Mapped[bool] = mapped_column(default=False)
    model: Mapped[str] = mapped_column(String(200))
    audio_seconds: Mapped[float]
    decode_seconds: Mapped[float]
    created_at: Mapped[datetime]
    # When retention or an erasure emptied text, raw_text and words.
    blanked_at: Mapped[datetime | None]

    voicemail: Mapped[Voicemail] = relationship(back_populates="transcript")
    # Every correction people made, oldest first; the machine's columns above never change.
    corrections: Mapped[list[TranscriptCorrection]] = relationship(
        back_populates="transcript",
        cascade="all, delete-orphan",
        order_by="TranscriptCorrection.id",
    )

    @property
    def correction(self) -> TranscriptCorrection | None:
        """The correction in force (the latest), if anyone corrected the transcript."""
        current = [c for c in self.corrections if c.superseded_at is None]
        return current[-1] if current else None


class TranscriptCorrection(Base):
    """A person's correction of a transcript, kept beside the machine's text.

    A later correction supersedes this one (``superseded_at``); rows are never edited
    otherwise, so they are the history of who changed what. Retention and erasure blank
    them with their transcript.
    """

    __tablename__ = "transcript_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    transcript_id: Mapped[int] = mapped_column(ForeignKey("transcripts.id", ondelete="CASCADE"))
    text: Mapped[str] = mapped_column(Text, default="")
    # As Transcript.words, aligned to the audio; "changed": true on words people changed.
    words: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime]
    superseded_at: Mapped[datetime | None]
    # The machine's errors against this text: edits over the reference's tokens, counted by
    # character ("cer", Chinese) or by word ("wer"). Kept when the text is blanked.
    machine_edits: Mapped[int] = mapped_column(default=0)
    reference_length: Mapped[int] = mapped_column(default=0)
    metric: Mapped[str] = mapped_column(String(8), default="cer")
    blanked_at: Mapped[datetime | None]

    transcript: Mapped[Transcript] = relationship(back_populates="corrections")
    user: Mapped[User | None] = relationship()

    __table_args__ = (
        Index("ix_transcript_corrections_transcript_id", "transcript_id"),
        # One correction in force per transcript: two saved at once cannot both be.
        Index(
            "uq_transcript_corrections_current",
            "transcript_id",
            unique=True,
            sqlite_where=sql_text("superseded_at IS NULL"),  # ``text`` is a column here
            postgresql_where=sql_text("superseded_at IS NULL"),
        ),
        Index("ix_transcript_corrections_created_at", "created_at"),
    )
