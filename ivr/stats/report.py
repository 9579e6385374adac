"""What a statistics report holds: plain data, built by ``ivr.stats.figures``.

Dashboards, exports, ``ivr report`` and ``/api/v1/stats`` all render these objects and
never compute a figure of their own. Every figure is defined in the README's glossary.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Literal
from zoneinfo import ZoneInfo

ScopeKind = Literal["station", "district", "city"]

# Orders used for every breakdown, so tables and charts line up across reports.
CATEGORIES = ("food", "medicine", "medical", "emotional", "policy", "other")
VULNERABILITIES = (
    "dibao",
    "dishou",
    "tekun",
    "lone_elderly",
    "child_in_difficulty",
    "severe_disability",
)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class ReportScope:
    """Which stations a report covers: one station, one district's, or the whole city."""

    kind: ScopeKind
    code: str  # station or district code; "" for the city
    name_zh: str
    name_en: str
    station_ids: tuple[int, ...]  # the stations covered (the city: every station)
    # The timezone most of the stations keep: where "today" is read for presets.
    timezone: str = "Asia/Shanghai"

    @property
    def spec(self) -> str:
        """How ``ivr report --scope`` and the API's ``scope`` parameter name it."""
        return "city" if self.kind == "city" else f"{self.kind}:{self.code}"

    def today(self, now: datetime | None = None) -> date:
        """The local date at ``now`` (default: now) in the scope's timezone."""
        return (now or datetime.now(UTC)).astimezone(ZoneInfo(self.timezone)).date()


@dataclass(frozen=True)
class Period:
    """Local calendar days ``start``..``end`` inclusive, each station in its own timezone."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


@dataclass(frozen=True)
class Durations:
    """Minutes from a ticket's first voicemail (or opening) to an event, over tickets."""

    count: int  # tickets that reached the event in the period
    median_minutes: float | None
    p90_minutes: float | None
    within_sla: int  # of ``count``, reached before the ticket was due


@dataclass(frozen=True)
class Figures:
    calls_received: int
    calls_answered: int  # by a worker (a forward someone picked up)
    calls_to_voicemail: int
    calls_abandoned: int
    person_times: int  # distinct callers per station per local day, summed
    voicemails: int
    transcription_backlog: int  # of those voicemails, not yet transcribed or failed
    transcription_failed: int
    tickets_opened: int
    tickets_resolved: int
    tickets_overdue: int  # due in the period and before now, and not resolved by then
    first_callback: Durations
    resolution: Durations
    problems_solved: dict[str, int]  # by CATEGORIES, every key present
    referrals_sent: int
    referrals_received: int
    vulnerable_served: dict[str, int]  # person-times by VULNERABILITIES, every key present
    calls_by_hour: tuple[int, ...]  # 24 local hours
    calls_by_weekday: tuple[int, ...]  # 7, Monday first
    calls_by_weekday_hour: tuple[tuple[int, ...], ...]  # 7 × 24


@dataclass(frozen=True)
class Row:
    """One line of a district's (stations) or the city's (districts) breakdown table."""

    level: Literal["station", "district"]
    id: int
    code: str
    name_zh: str
    name_en: str
    figures: Figures


@dataclass(frozen=True)
class Report:
    scope: ReportScope
    period: Period
    totals: Figures
    rows: tuple[Row, ...] = ()  # a district's stations, or the city's districts
    generated_at: datetime | None = None
    # When figures come from a rollup rather than live rows: the time they were current.
    as_of: datetime | None = None
    notes: tuple[str, ...] = field(default=())
