"""Where calls arrive: districts, their stations, hotline numbers and on-duty phones."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, UniqueConstraint, false, text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Timestamped


class District(Timestamped, Base):
    """An administrative district (区), e.g. 海珠区; groups stations for district admins."""

    __tablename__ = "districts"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")

    stations: Mapped[list[Station]] = relationship(back_populates="district")

    def __repr__(self) -> str:
        return f"<District {self.code}>"


class Station(Timestamped, Base):
    """A neighbourhood social-work station (社工站) running one hotline."""

    __tablename__ = "stations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name_zh: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100), default="")
    district_id: Mapped[int] = mapped_column(ForeignKey("districts.id", ondelete="RESTRICT"))
    # Menu languages offered to callers, in order: "zh" Mandarin, "yue" Cantonese, "en".
    languages: Mapped[list[str]] = mapped_column(JSON, default=lambda: ["zh"])
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # Opening hours: {"mon": [["09:00", "18:00"]], ...}; holidays: ["2026-10-01", ...].
    opening_hours: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    twenty_four_hours: Mapped[bool] = mapped_column(default=True)
    sla_urgent_minutes: Mapped[int] = mapped_column(default=60)
    sla_normal_minutes: Mapped[int] = mapped_column(default=24 * 60)
    # Whether a caller who picked a need and hung up before the beep is owed a call back.
    ticket_on_abandon: Mapped[bool] = mapped_column(default=True)
    active: Mapped[bool] = mapped_column(default=True)
    # A text to a voicemail's (mobile) caller that it was received: on/off, its wording per
    # language ({station}, {hours}; empty: the built-in wording), and the station's night
    # (local "HH:MM"), when texts wait for the morning.
    acknowledge_by_sms: Mapped[bool] = mapped_column(default=False, server_default=false())
    acknowledgement_texts: Mapped[dict[str, str]] = mapped_column(
        JSON, default=dict, server_default=text("'{}'")
    )
    quiet_hours_start: Mapped[str] = mapped_column(
        String(5), default="21:00", server_default="21:00"
    )
    quiet_hours_end: Mapped[str] = mapped_column(String(5), default="08:00", server_default="08:00")
    # Urgent tickets and missed forwards text the on-duty phone; unopened after this many
    # minutes, a call goes to the next person on the roster, then to the district.
    alerts_enabled: Mapped[bool] = mapped_column(default=True, server_default=true())
    alert_escalation_minutes: Mapped[int] = mapped_column(default=10, server_default="10")
    # Bumped by every settings save: a form carrying an older value was edited by someone
    # else meanwhile, and is refused rather than silently overwriting their change.
    settings_version: Mapped[int] = mapped_column(default=1, server_default="1")

    district: Mapped[District] = relationship(back_populates="stations")
    hotline_numbers: Mapped[list[HotlineNumber]] = relationship(
        back_populates="station", cascade="all, delete-orphan", order_by="HotlineNumber.id"
    )
    on_duty_phones: Mapped[list[OnDutyPhone]] = relationship(
        back_populates="station", cascade="all, delete-orphan", order_by="OnDutyPhone.position"
    )

    __table_args__ = (Index("ix_stations_district_id", "district_id"),)

    def __repr__(self) -> str:
        return f"<Station {self.code}>"


class HotlineNumber(Timestamped, Base):
    """A public number (E.164) that rings a station's menu; a station may have several."""

    __tablename__ = "hotline_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(20), unique=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    label: Mapped[str] = mapped_column(String(100), default="")

    station: Mapped[Station] = relationship(back_populates="hotline_numbers")

    __table_args__ = (Index("ix_hotline_numbers_station_id", "station_id"),)


class OnDutyPhone(Timestamped, Base):
    """A phone on the station's on-duty roster, rung in ``position`` order by forward nodes."""

    __tablename__ = "on_duty_phones"

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(ForeignKey("stations.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100), default="")
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    station: Mapped[Station] = relationship(back_populates="on_duty_phones")

    __table_args__ = (UniqueConstraint("station_id", "number"),)
