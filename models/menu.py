"""Menu documents: a station's IVR tree as YAML, versioned as drafts and published copies."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, enum_column, utcnow
from models.station import Station


class MenuStatus(enum.Enum):
    DRAFT = "draft"
    PUBLISHED = "published"


class MenuVersionImmutable(Exception):
    """A published menu version was changed; publish a new version instead."""


class MenuVersion(Base):
    """One version of a station's menu. Published versions never change."""

    __tablename__ = "menu_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    version: Mapped[int]
    status: Mapped[MenuStatus] = mapped_column(enum_column(MenuStatus), default=MenuStatus.DRAFT)
    document: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_at: Mapped[datetime | None]
    # The shared template version this menu was last brought in line with: the base of
    # the three-way merge that keeps the station's own changes when a template is applied.
    template_id: Mapped[int | None] = mapped_column(
        ForeignKey("menu_templates.id", ondelete="SET NULL")
    )

    station: Mapped[Station] = relationship()

    __table_args__ = (
        UniqueConstraint("station_id", "version"),
        Index("ix_menu_versions_station_status_version", "station_id", "status", "version"),
    )


class MenuTemplate(Timestamped, Base):
    """A menu shared by many stations (e.g. the city's default); versions never change."""

    __tablename__ = "menu_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    version: Mapped[int]
    document: Mapped[str] = mapped_column(Text)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    __table_args__ = (UniqueConstraint("name", "version"),)


@event.listens_for(MenuVersion, "before_update")
def _refuse_changes_to_published(mapper, connection, target: MenuVersion) -> None:  # type: ignore[no-untyped-def]
    from sqlalchemy import inspect

    state = inspect(target)
    status_history = state.attrs.status.history
    was_published = MenuStatus.PUBLISHED in (status_history.deleted or ()) or (
        not status_history.has_changes() and target.status is MenuStatus.PUBLISHED
    )
    if was_published:
        raise MenuVersionImmutable(
            f"menu version {target.version} of station {target.station_id} is published"
        )
