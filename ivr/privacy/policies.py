"""Retention periods: the city's (config default, or what a city admin set), a district's
and a station's. The nearest level that sets a period wins: station, then district, then
city."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.config import Config
from models import RetentionPolicy, Station, utcnow

KINDS = ("recordings_days", "transcripts_days", "caller_details_days")
# What any level may set: at least a week (a case is often reopened within days), at most
# ten years.
LEAST_DAYS = 7
MOST_DAYS = 3650


class RetentionInvalid(ValueError):
    """A period outside the limits; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Period:
    days: int
    source: str  # "station", "district", "city" or "default" (the configuration)


@dataclass(frozen=True)
class Effective:
    recordings_days: Period
    transcripts_days: Period
    caller_details_days: Period

    def days(self, kind: str) -> int:
        return getattr(self, kind).days  # type: ignore[no-any-return]


def scope_key(station_id: int | None = None, district_id: int | None = None) -> str:
    if station_id is not None:
        return f"station:{station_id}"
    if district_id is not None:
        return f"district:{district_id}"
    return "city"


def config_defaults(config: Config) -> dict[str, int]:
    return {
        "recordings_days": config.retention_recordings_days,
        "transcripts_days": config.retention_transcripts_days,
        "caller_details_days": config.retention_caller_details_days,
    }


def policy_row(session: Session, key: str) -> RetentionPolicy | None:
    return session.scalar(select(RetentionPolicy).where(RetentionPolicy.scope == key))


class Resolver:
    """Effective periods for many stations from one read of every policy row."""

    def __init__(self, session: Session, config: Config) -> None:
        self.rows = {row.scope: row for row in session.scalars(select(RetentionPolicy))}
        self.defaults = config_defaults(config)

    def levels(self, district_id: int | None, station_id: int | None) -> list[tuple[str, Any]]:
        found = [
            ("station", self.rows.get(scope_key(station_id=station_id)) if station_id else None),
            (
                "district",
                self.rows.get(scope_key(district_id=district_id)) if district_id else None,
            ),
            ("city", self.rows.get("city")),
        ]
        return [(name, row) for name, row in found if row is not None]

    def effective(self, district_id: int | None, station_id: int | None) -> Effective:
        periods = {}
        levels = self.levels(district_id, station_id)
        for kind in KINDS:
            period = Period(self.defaults[kind], "default")
            for name, row in levels:
                if getattr(row, kind) is not None:
                    period = Period(getattr(row, kind), name)
                    break
            periods[kind] = period
        return Effective(**periods)

    def inherited(self, district_id: int | None, station_id: int | None) -> Effective:
        """What a level would get if it set nothing itself (shown beside its form)."""
        if station_id is not None:
            return self.effective(district_id, None)
        if district_id is not None:
            return self.effective(None, None)
        return Effective(*(Period(self.defaults[k], "default") for k in KINDS))

    def for_station(self, station: Station) -> Effective:
        return self.effective(station.district_id, station.id)


def read_days(form: Any) -> dict[str, int | None]:
    """The three periods from a form: blank means inherit; else whole days within limits."""
    values: dict[str, int | None] = {}
    for kind in KINDS:
        text = (form.get(kind) or "").strip()
        if not text:
            values[kind] = None
            continue
        if not (text.isascii() and text.isdigit()) or not LEAST_DAYS <= int(text) <= MOST_DAYS:
            raise RetentionInvalid(kind, f"{LEAST_DAYS}-{MOST_DAYS}")
        values[kind] = int(text)
    return values


def save_policy(
    session: Session,
    values: dict[str, int | None],
    user_id: int | None,
    station_id: int | None = None,
    district_id: int | None = None,
) -> dict[str, list[int | None]]:
    """Set one level's periods (None: inherit); returns ``{kind: [old, new]}`` changed.
    The caller commits (and audits)."""
    key = scope_key(station_id, district_id)
    row = policy_row(session, key)
    if row is None:
        row = RetentionPolicy(scope=key, station_id=station_id, district_id=district_id)
        session.add(row)
    changes = {
        kind: [getattr(row, kind), values[kind]]
        for kind in KINDS
        if getattr(row, kind) != values[kind]
    }
    for kind in KINDS:
        setattr(row, kind, values[kind])
    row.updated_at = utcnow()
    row.updated_by_id = user_id
    return changes
