"""A station's prompt library: recorded announcements converted for the phone line."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, Timestamped


class PromptFile(Timestamped, Base):
    """An uploaded prompt, stored as 8 kHz mono WAV; menus name it in ``play:``."""

    __tablename__ = "prompt_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    # What a menu's ``play:`` names, e.g. "policy-notice.wav"; chosen by the server.
    name: Mapped[str] = mapped_column(String(64))
    storage_path: Mapped[str] = mapped_column(String(300))
    size_bytes: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    duration_seconds: Mapped[float]
    sample_rate: Mapped[int] = mapped_column(default=8000)
    original_filename: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(String(200), default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("station_id", "name"),)
