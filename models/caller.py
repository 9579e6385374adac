"""Residents who phone a hotline, known by their number."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped, enum_column


class Vulnerability(enum.Enum):
    """Groups the stations report on (see the seed article)."""

    DIBAO = "dibao"  # 低保: minimum-living-allowance household
    DISHOU = "dishou"  # 低收: low-income household
    TEKUN = "tekun"  # 特困: extreme hardship support
    LONE_ELDERLY = "lone_elderly"  # 独居/孤寡/留守老人
    CHILD_IN_DIFFICULTY = "child_in_difficulty"  # 困境儿童
    SEVERE_DISABILITY = "severe_disability"  # 重度残疾


VULNERABILITY_LABELS_ZH = {
    Vulnerability.DIBAO: "低保",
    Vulnerability.DISHOU: "低收",
    Vulnerability.TEKUN: "特困",
    Vulnerability.LONE_ELDERLY: "独居/孤寡/留守老人",
    Vulnerability.CHILD_IN_DIFFICULTY: "困境儿童",
    Vulnerability.SEVERE_DISABILITY: "重度残疾",
}


class Caller(Timestamped, Base):
    """A resident, identified by phone number (E.164)."""

    __tablename__ = "callers"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_number: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    preferred_language: Mapped[str | None] = mapped_column(String(8))
    # The station where the resident lives, when known (referrals go there).
    home_station_id: Mapped[int | None] = mapped_column(
        ForeignKey("stations.id", ondelete="SET NULL")
    )
    notes: Mapped[str] = mapped_column(Text, default="")
    # Privacy: when retention removed name, notes and flags; when an erasure replaced the
    # number with an anonymous token (see ``ivr.privacy.erasure``).
    details_purged_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    vulnerabilities: Mapped[list[CallerVulnerability]] = relationship(
        back_populates="caller", cascade="all, delete-orphan"
    )

    @property
    def flags(self) -> set[Vulnerability]:
        return {v.flag for v in self.vulnerabilities}


class CallerVulnerability(Base):
    """One vulnerability flag of a caller; a row per flag keeps it countable in SQL."""

    __tablename__ = "caller_vulnerabilities"

    caller_id: Mapped[int] = mapped_column(
        ForeignKey("callers.id", ondelete="CASCADE"), primary_key=True
    )
    flag: Mapped[Vulnerability] = mapped_column(enum_column(Vulnerability), primary_key=True)

    caller: Mapped[Caller] = relationship(back_populates="vulnerabilities")
