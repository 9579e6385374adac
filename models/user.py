"""People who use the console and API, and their API tokens."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, enum_column
from models.station import District, Station


class Role(enum.Enum):
    WORKER = "worker"  # own station's queue
    STATION_ADMIN = "station_admin"  # own station and its settings
    DISTRICT_ADMIN = "district_admin"  # every station of one district
    CITY_ADMIN = "city_admin"  # every station


class User(Timestamped, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(enum_column(Role))
    station_id: Mapped[int | None] = mapped_column(ForeignKey("stations.id", ondelete="RESTRICT"))
    district_id: Mapped[int | None] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"))
    # The worker's own phone, rung first by click-to-call.
    phone: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str] = mapped_column(String(8), default="zh")
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped by "log out everywhere": sessions carrying an older value are refused.
    session_version: Mapped[int] = mapped_column(default=1)
    failed_logins: Mapped[int] = mapped_column(default=0)
    locked_until: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]

    station: Mapped[Station | None] = relationship()
    district: Mapped[District | None] = relationship()

    __table_args__ = (
        CheckConstraint(
            "(role IN ('worker', 'station_admin') AND station_id IS NOT NULL)"
            " OR (role = 'district_admin' AND district_id IS NOT NULL)"
            " OR role = 'city_admin'",
            name="scope_matches_role",
        ),
        Index("ix_users_station_id", "station_id"),
    )


class ApiToken(Timestamped, Base):
    """A bearer token for the REST API. Only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100), default="")
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # shown to people to tell tokens apart
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    __table_args__ = (Index("ix_api_tokens_user_id", "user_id"),)
