"""Rolled-up days in ``station_day_figures``: writing partials, and adding them up again.

Counts are integer columns; calls by hour and each ticket's minutes are JSON lists, read
as text and parsed only when not empty. Reading sums a station's rows into plain lists
and applies them to its totals once, so that a month of the city (about 6,000 rows) costs
little more than reading them.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Text, cast, delete, insert, null, select
from sqlalchemy.orm import Session

from ivr.stats.live import Key
from ivr.stats.partials import COUNTS, DayPartial, Totals
from ivr.stats.raw import as_date, as_utc, raw
from ivr.stats.report import CATEGORIES, VULNERABILITIES
from models import StationDayFigures

PROBLEM_COLUMNS = tuple(f"problems_{category}" for category in CATEGORIES)
FLAG_COLUMNS = tuple(f"vulnerable_{flag}" for flag in VULNERABILITIES)
STORED_COUNTS = (*COUNTS, *PROBLEM_COLUMNS, *FLAG_COLUMNS)
EMPTY = (None, "", "[]")


def write(
    session: Session,
    ids: Sequence[int],
    first: date,
    last: date,
    partials: dict[Key, DayPartial],
    computed_at: datetime,
    complete: bool = True,
) -> None:
    """Replace stations ``ids``' rows from ``first`` to ``last`` with ``partials``:
    closed days, or (``complete`` false) today up to ``computed_at``."""
    session.execute(
        delete(StationDayFigures).where(
            StationDayFigures.station_id.in_(list(ids)),
            StationDayFigures.day >= first,
            StationDayFigures.day <= last,
        )
    )
    rows = [
        row_values(sid, day, partial, computed_at, complete)
        for (sid, day), partial in partials.items()
    ]
    if rows:
        session.execute(insert(StationDayFigures), rows)


def row_values(
    station_id: int, day: date, partial: DayPartial, computed_at: datetime, complete: bool
) -> dict[str, object]:
    row: dict[str, object] = {name: getattr(partial, name) for name in COUNTS}
    row.update(zip(PROBLEM_COLUMNS, (partial.problems_solved[c] for c in CATEGORIES), strict=True))
    row.update(
        zip(FLAG_COLUMNS, (partial.vulnerable_served[v] for v in VULNERABILITIES), strict=True)
    )
    row.update(
        station_id=station_id,
        day=day,
        calls_by_hour=list(partial.calls_by_hour) if partial.calls_received else [],
        first_callback_minutes=sorted(partial.first_callback_minutes),
        resolution_minutes=sorted(partial.resolution_minutes),
        complete=complete,
        people=[] if complete else sorted(partial.people),
        computed_at=computed_at,
    )
    return row


def add_stored(
    session: Session,
    ids: Sequence[int],
    first: date,
    last: date,
    totals: dict[int, Totals],
) -> tuple[set[Key], datetime | None]:
    """Add the closed days rolled up for stations ``ids`` from ``first`` to ``last`` into
    their ``totals``; returns the (station, day) pairs found and when the oldest was
    computed."""
    found: set[Key] = set()
    rows = _read(session, ids, first, last, True, totals, found)
    return found, as_utc(min((row[1] for row in rows), default=None))


def add_today_so_far(
    session: Session, ids: Sequence[int], today: date, now: datetime, totals: dict[int, Totals]
) -> dict[datetime, dict[int, set[str]]]:
    """Add today's rows computed before ``now`` into ``totals``. Returns, by the time they
    run up to, the stations found and the callers each already counted: the rest of the
    day is for the caller to compute live."""
    found: set[Key] = set()
    usable = [
        sid
        for sid, computed_at in session.execute(
            select(StationDayFigures.station_id, StationDayFigures.computed_at).where(
                StationDayFigures.day == today,
                StationDayFigures.complete.is_(False),
                StationDayFigures.station_id.in_(list(ids)),
                StationDayFigures.computed_at <= now,
            )
        )
    ]
    by_cutoff: dict[datetime, dict[int, set[str]]] = {}
    for sid, computed_at, people in _read(session, usable, today, today, False, totals, found):
        by_cutoff.setdefault(as_utc(computed_at), {})[sid] = set(json.loads(people or "[]"))
    return by_cutoff


def _read(
    session: Session,
    ids: Sequence[int],
    first: date,
    last: date,
    complete: bool,
    totals: dict[int, Totals],
    found: set[Key],
) -> list[tuple[int, Any, str | None]]:
    """Sum rows into ``totals``; returns (station, raw computed_at, people) per row."""
    query = select(
        StationDayFigures.station_id,
        raw(StationDayFigures.day),
        raw(StationDayFigures.computed_at),
        cast(StationDayFigures.people, Text) if not complete else null(),
        cast(StationDayFigures.calls_by_hour, Text),
        cast(StationDayFigures.first_callback_minutes, Text),
        cast(StationDayFigures.resolution_minutes, Text),
        *(getattr(StationDayFigures, name) for name in STORED_COUNTS),
    ).where(
        StationDayFigures.day >= first,
        StationDayFigures.day <= last,
        StationDayFigures.complete.is_(complete),
        StationDayFigures.station_id.in_(list(ids)),
    )
    seen: list[tuple[int, Any, str | None]] = []
    counts: dict[int, list[int]] = {}
    hours: dict[tuple[int, int], list[int]] = {}
    first_callbacks: dict[int, list[str]] = {}
    resolutions: dict[int, list[str]] = {}
    for sid, day, computed_at, people, by_hour, first_callback, resolution, *row in session.execute(
        query
    ):
        day = as_date(day)
        found.add((sid, day))
        seen.append((sid, computed_at, people))
        summed = counts.get(sid)
        counts[sid] = row if summed is None else [a + b for a, b in zip(summed, row, strict=True)]
        if by_hour not in EMPTY:
            key = (sid, day.weekday())
            day_hours, summed = json.loads(by_hour), hours.get(key)
            if summed is not None:
                day_hours = [a + b for a, b in zip(summed, day_hours, strict=True)]
            hours[key] = day_hours
        # Lists are joined as text and parsed once per station: far fewer calls to json.
        if first_callback not in EMPTY:
            first_callbacks.setdefault(sid, []).append(first_callback[1:-1])
        if resolution not in EMPTY:
            resolutions.setdefault(sid, []).append(resolution[1:-1])
    for texts, attribute in (
        (first_callbacks, "first_callback_minutes"),
        (resolutions, "resolution_minutes"),
    ):
        for sid, parts in texts.items():
            getattr(totals[sid], attribute).extend(json.loads(f"[{','.join(parts)}]"))
    for sid, summed in counts.items():
        _add_counts(totals[sid], summed)
    for (sid, weekday), summed in hours.items():
        totals[sid].add_hours(weekday, summed)
    return seen


def _add_counts(totals: Totals, summed: list[int]) -> None:
    for name, n in zip(COUNTS, summed, strict=False):
        setattr(totals, name, getattr(totals, name) + n)
    rest = summed[len(COUNTS) :]
    for category, n in zip(CATEGORIES, rest, strict=False):
        totals.problems_solved[category] += n
    for flag, n in zip(VULNERABILITIES, rest[len(CATEGORIES) :], strict=True):
        totals.vulnerable_served[flag] += n
