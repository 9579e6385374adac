"""A station's figures for one local day, and how partials add up to a report's figures.

Every figure is a sum over (station, local day) partials: counts add, person-times add
(a person-time is already per station and day), and durations keep every ticket's whole
minutes, so a median or percentile over any set of days is exact. Live computation
(``ivr.stats.live``) and the rollup table (``ivr.stats.rollup``) hold the same partials.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

from ivr.stats.report import CATEGORIES, VULNERABILITIES, Durations, Figures

# Counts a partial holds, by the name both the partial and StationDayFigures use.
COUNTS = (
    "calls_received",
    "calls_answered",
    "calls_to_voicemail",
    "calls_abandoned",
    "person_times",
    "voicemails",
    "tickets_opened",
    "tickets_resolved",
    "tickets_overdue",
    "referrals_sent",
    "referrals_received",
    "first_callback_within_sla",
    "resolution_within_sla",
)
HISTOGRAMS = ("problems_solved", "vulnerable_served")  # key → count
MINUTES = ("first_callback_minutes", "resolution_minutes")  # whole minutes, one per ticket


def _zeros24() -> list[int]:
    return [0] * 24


@dataclass
class DayPartial:
    """What happened at one station on one local day (or, summed, over many)."""

    calls_received: int = 0
    calls_answered: int = 0
    calls_to_voicemail: int = 0
    calls_abandoned: int = 0
    person_times: int = 0
    voicemails: int = 0
    tickets_opened: int = 0
    tickets_resolved: int = 0
    tickets_overdue: int = 0
    referrals_sent: int = 0
    referrals_received: int = 0
    first_callback_within_sla: int = 0
    resolution_within_sla: int = 0
    calls_by_hour: list[int] = field(default_factory=_zeros24)
    problems_solved: Counter[str] = field(default_factory=Counter)
    vulnerable_served: Counter[str] = field(default_factory=Counter)
    first_callback_minutes: list[int] = field(default_factory=list)
    resolution_minutes: list[int] = field(default_factory=list)
    # Callers (numbers) counted as person-times: kept only for a day still under way.
    people: set[str] = field(default_factory=set)


@dataclass
class Totals(DayPartial):
    """Partials summed over days: the weekday × hour matrix needs each day's weekday."""

    calls_by_weekday_hour: list[list[int]] = field(
        default_factory=lambda: [_zeros24() for _ in range(7)]
    )
    # Live-only figures, added after the partials (they depend on "now", not on a day).
    transcription_backlog: int = 0
    transcription_failed: int = 0

    def add(self, day: date, partial: DayPartial) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(partial, name))
        for name in HISTOGRAMS:
            getattr(self, name).update(getattr(partial, name))
        for name in MINUTES:
            getattr(self, name).extend(getattr(partial, name))
        row = self.calls_by_weekday_hour[day.weekday()]
        for hour, n in enumerate(partial.calls_by_hour):
            if n:
                self.calls_by_hour[hour] += n
                row[hour] += n

    def add_hours(self, weekday: int, hours: Sequence[int]) -> None:
        """Add 24 hourly counts of days falling on ``weekday`` (0: Monday)."""
        self.calls_by_hour = [a + b for a, b in zip(self.calls_by_hour, hours, strict=True)]
        self.calls_by_weekday_hour[weekday] = [
            a + b for a, b in zip(self.calls_by_weekday_hour[weekday], hours, strict=True)
        ]

    def merge(self, other: Totals) -> None:
        """Add another total (a station's into its district's, say)."""
        for name in (*COUNTS, "transcription_backlog", "transcription_failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in HISTOGRAMS:
            getattr(self, name).update(getattr(other, name))
        for name in MINUTES:
            getattr(self, name).extend(getattr(other, name))
        for hour in range(24):
            self.calls_by_hour[hour] += other.calls_by_hour[hour]
            for weekday in range(7):
                self.calls_by_weekday_hour[weekday][hour] += other.calls_by_weekday_hour[weekday][
                    hour
                ]

    def figures(self) -> Figures:
        return Figures(
            calls_received=self.calls_received,
            calls_answered=self.calls_answered,
            calls_to_voicemail=self.calls_to_voicemail,
            calls_abandoned=self.calls_abandoned,
            person_times=self.person_times,
            voicemails=self.voicemails,
            transcription_backlog=self.transcription_backlog,
            transcription_failed=self.transcription_failed,
            tickets_opened=self.tickets_opened,
            tickets_resolved=self.tickets_resolved,
            tickets_overdue=self.tickets_overdue,
            first_callback=durations(self.first_callback_minutes, self.first_callback_within_sla),
            resolution=durations(self.resolution_minutes, self.resolution_within_sla),
            problems_solved={c: self.problems_solved.get(c, 0) for c in CATEGORIES},
            referrals_sent=self.referrals_sent,
            referrals_received=self.referrals_received,
            vulnerable_served={v: self.vulnerable_served.get(v, 0) for v in VULNERABILITIES},
            calls_by_hour=tuple(self.calls_by_hour),
            calls_by_weekday=tuple(sum(row) for row in self.calls_by_weekday_hour),
            calls_by_weekday_hour=tuple(tuple(row) for row in self.calls_by_weekday_hour),
        )


def durations(minutes: list[int], within_sla: int) -> Durations:
    ordered = sorted(minutes)
    return Durations(
        count=len(ordered),
        median_minutes=nearest_rank(ordered, 50),
        p90_minutes=nearest_rank(ordered, 90),
        within_sla=within_sla,
    )


def nearest_rank(ordered: list[int], percent: int) -> float | None:
    """The nearest-rank percentile of sorted values: the smallest value with at least
    ``percent`` % of the values at or below it, i.e. the value at rank ceil(percent × n /
    100) (integer arithmetic, so 90 % of 10 is rank 9 exactly); None when there are none."""
    if not ordered:
        return None
    rank = max(1, -(-percent * len(ordered) // 100))
    return float(ordered[rank - 1])
