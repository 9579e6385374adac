"""Statistics rollup: each closed local day's partial figures for one station.

Every figure of a report is a sum over (station, local day) partials, so a month's report
adds up about 30 rows per station instead of reading every call. A row holds a day that
has ended in the station's timezone, or (``complete`` false) today up to ``computed_at``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class StationDayFigures(Base):
    """One station's figures for one local calendar day (see the README's glossary)."""

    __tablename__ = "station_day_figures"

    station_id: Mapped[int] = mapped_column(
        ForeignKey("stations.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(primary_key=True)
    calls_received: Mapped[int] = mapped_column(default=0)
    calls_answered: Mapped[int] = mapped_column(default=0)
    calls_to_voicemail: Mapped[int] = mapped_column(default=0)
    calls_abandoned: Mapped[int] = mapped_column(default=0)
    person_times: Mapped[int] = mapped_column(default=0)
    voicemails: Mapped[int] = mapped_column(default=0)
    tickets_opened: Mapped[int] = mapped_column(default=0)
    tickets_resolved: Mapped[int] = mapped_column(default=0)
    tickets_overdue: Mapped[int] = mapped_column(default=0)
    referrals_sent: Mapped[int] = mapped_column(default=0)
    referrals_received: Mapped[int] = mapped_column(default=0)
    first_callback_within_sla: Mapped[int] = mapped_column(default=0)
    resolution_within_sla: Mapped[int] = mapped_column(default=0)
    # Problems solved by resolution category.
    problems_food: Mapped[int] = mapped_column(default=0)
    problems_medicine: Mapped[int] = mapped_column(default=0)
    problems_medical: Mapped[int] = mapped_column(default=0)
    problems_emotional: Mapped[int] = mapped_column(default=0)
    problems_policy: Mapped[int] = mapped_column(default=0)
    problems_other: Mapped[int] = mapped_column(default=0)
    # Person-times of callers carrying each vulnerability flag.
    vulnerable_dibao: Mapped[int] = mapped_column(default=0)
    vulnerable_dishou: Mapped[int] = mapped_column(default=0)
    vulnerable_tekun: Mapped[int] = mapped_column(default=0)
    vulnerable_lone_elderly: Mapped[int] = mapped_column(default=0)
    vulnerable_child_in_difficulty: Mapped[int] = mapped_column(default=0)
    vulnerable_severe_disability: Mapped[int] = mapped_column(default=0)
    # 24 counts, local hours 0-23 (the day's weekday places them in the 7×24 matrix);
    # empty when the day had no calls.
    calls_by_hour: Mapped[list[int]] = mapped_column(JSON, default=list)
    # Each ticket's whole minutes, sorted: medians and percentiles over any days stay exact.
    first_callback_minutes: Mapped[list[int]] = mapped_column(JSON, default=list)
    resolution_minutes: Mapped[list[int]] = mapped_column(JSON, default=list)
    # False: today so far, up to ``computed_at``; reports add the rest of the day live and
    # need the numbers already counted as person-times (emptied once the day is over).
    complete: Mapped[bool] = mapped_column(default=True)
    people: Mapped[list[str]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime]

    __table_args__ = (Index("ix_station_day_figures_day", "day"),)

    def __repr__(self) -> str:
        return f"<StationDayFigures {self.station_id} {self.day}>"
