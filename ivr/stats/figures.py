"""The one place every statistics figure is computed: dashboards, exports, ``ivr report``
and ``/api/v1/stats`` all call :func:`build_report`.

Definitions (the README's glossary says the same, in Chinese and English):

- A *day* is a local calendar day in the station's own timezone (``Station.timezone``).
  A period covers, at each station, [first day 00:00, last day + 1 00:00) local time.
- *Calls received*: inbound calls at the stations in scope that started in the period;
  *answered* (by a worker), *to voicemail*, *abandoned*: those whose outcome is so.
- *Person-times*: distinct (station, caller number, local day) over those calls; each call
  from a withheld number (none, not E.164, or a Twilio placeholder such as +266696687,
  ``ivr.phone.WITHHELD_NUMBERS``) counts as one.
- *Vulnerable served*, per flag: the person-times of callers carrying that flag.
- *Voicemails*: created in the period at those stations; *transcription backlog*: of those,
  received or fetched (not yet final) now; *transcription failed*: of those, failed now.
- *Tickets opened* / *resolved*: opened_at / resolved_at in the period, counted at the
  ticket's current station (a referred ticket counts at the station it was referred to).
- *Tickets overdue*: due_at in the period and before now, and not resolved by due_at.
- *First call-back* / *resolution*: tickets whose first_callback_at / resolved_at is in the
  period; whole minutes (rounded down, at least 0) from the ticket's first voicemail (else
  its opening); median and p90 by the nearest-rank method; *within SLA*: the event came
  at or before due_at.
- *Problems solved*: Ticket.problems_solved summed by resolution category over the
  tickets resolved in the period.
- *Referrals sent* / *received*: "referred" ticket events in the period from / to a station
  in scope (a referral between two stations of a district counts as both for the district).
- *Calls by hour / weekday*: calls received, by local hour and weekday (Monday first).

Each figure is a sum of per-(station, local day) partials. Closed days come from the
rollup (``ivr.stats.rollup``) when it has them, today from its rolled-up part plus the
rest of the day live, and days not rolled up entirely live: live and rolled-up partials
are computed by the same code (``ivr.stats.live``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.stats.live import StationRef, by_timezone, compute_partials, voicemail_states
from ivr.stats.partials import DayPartial, Totals
from ivr.stats.periods import (
    MAX_DAYS,
    PRESETS,
    PeriodInvalid,
    days_in,
    local_today,
    parse_period,
)
from ivr.stats.report import Period, Report, ReportScope, Row
from ivr.stats.rollup import refresh_rollups
from ivr.stats.scopes import ScopeNotAllowed, ScopeNotFound, default_scope, resolve_scope
from ivr.stats.stored import add_stored, add_today_so_far
from models import District, Station, utcnow

__all__ = [
    "MAX_DAYS",
    "PRESETS",
    "PeriodInvalid",
    "ScopeNotAllowed",
    "ScopeNotFound",
    "build_report",
    "default_scope",
    "parse_period",
    "refresh_rollups",
    "resolve_scope",
]


def build_report(
    session: Session,
    scope: ReportScope,
    period: Period,
    now: datetime | None = None,
    breakdown: bool = True,
    use_rollups: bool = True,
) -> Report:
    """Every figure for ``scope`` over ``period`` as of ``now`` (default: now).

    With ``breakdown``, a district's report has a row per station and the city's a row per
    district, both sorted by code. ``use_rollups=False`` computes everything from the raw
    tables (what the rollup must agree with). ``Report.as_of`` is when the oldest rolled-up
    day used was computed, None when everything is live.
    """
    now = now or utcnow()
    stations = list(
        session.execute(
            select(Station.id, Station.code, Station.timezone, Station.district_id)
            .where(Station.id.in_(scope.station_ids))
            .order_by(Station.code)
        )
    )
    refs = [StationRef(*row) for row in stations]
    per_station, as_of = station_totals(session, refs, period, now, use_rollups)
    if scope.kind == "city":  # stations add up to districts, districts to the city
        parts = _by_district(refs, per_station)
        rows = _district_rows(session, parts) if breakdown else ()
    else:
        parts = per_station
        rows = _station_rows(session, per_station) if breakdown and scope.kind == "district" else ()
    totals = Totals()
    for part in parts.values():
        totals.merge(part)
    return Report(
        scope=scope,
        period=period,
        totals=totals.figures(),
        rows=rows,
        generated_at=now,
        as_of=as_of,
    )


def station_totals(
    session: Session,
    refs: Sequence[StationRef],
    period: Period,
    now: datetime,
    use_rollups: bool = True,
) -> tuple[dict[int, Totals], datetime | None]:
    """Each station's totals over the period, and when the oldest rollup row used was
    computed (None: all live).

    Per timezone: closed days come from the rollup where it has them; today from its
    rolled-up part, if any, plus the rest of the day live; any other day entirely live.
    """
    totals = {ref.id: Totals() for ref in refs}
    ages: list[datetime] = []
    for zone, group in by_timezone(refs).items():
        today = local_today(zone, now)
        last = min(period.end, today)  # days still to come have nothing to count
        if last < period.start:
            continue
        found: set[tuple[int, date]] = set()
        if use_rollups:
            found = _add_rolled_up(session, group, period.start, last, today, now, totals, ages)
        _add_the_rest(session, group, period.start, last, now, found, totals)
    for sid, (backlog, failed) in voicemail_states(session, refs, period.start, period.end).items():
        totals[sid].transcription_backlog = backlog
        totals[sid].transcription_failed = failed
    return totals, min(ages, default=None)


def _add_rolled_up(
    session: Session,
    group: list[StationRef],
    first: date,
    last: date,
    today: date,
    now: datetime,
    totals: dict[int, Totals],
    ages: list[datetime],
) -> set[tuple[int, date]]:
    """Add one timezone's rolled-up days (and today's live rest); returns the station-days
    covered and appends when their rows were computed to ``ages``."""
    ids = [ref.id for ref in group]
    found: set[tuple[int, date]] = set()
    closed = min(last, today - timedelta(days=1))
    if closed >= first:
        found, as_of = add_stored(session, ids, first, closed, totals)
        ages.extend([as_of] if as_of else [])
    if last == today:
        by_id = {ref.id: ref for ref in group}
        for cutoff, seen in add_today_so_far(session, ids, today, now, totals).items():
            rest = [by_id[sid] for sid in sorted(seen)]
            _add_live(totals, compute_partials(session, rest, today, today, now, cutoff, seen))
            found.update((sid, today) for sid in seen)
            ages.append(cutoff)
    return found


def _add_the_rest(
    session: Session,
    group: list[StationRef],
    first: date,
    last: date,
    now: datetime,
    found: set[tuple[int, date]],
    totals: dict[int, Totals],
) -> None:
    """Compute live every station-day not ``found`` in the rollup, a run of days at a time."""
    missing: dict[date, set[int]] = {}
    for day in days_in(first, last):
        absent = {ref.id for ref in group if (ref.id, day) not in found}
        if absent:
            missing[day] = absent
    by_id = {ref.id: ref for ref in group}
    for run_first, run_last in _runs(sorted(missing)):
        sids = set().union(*(missing[d] for d in days_in(run_first, run_last)))
        stations = [by_id[sid] for sid in sorted(sids)]
        _add_live(totals, compute_partials(session, stations, run_first, run_last, now), missing)


def _add_live(
    totals: dict[int, Totals],
    partials: dict[tuple[int, date], DayPartial],
    wanted: dict[date, set[int]] | None = None,
) -> None:
    """Add live partials into ``totals`` (only the ``wanted`` station-days, if given)."""
    for (sid, day), partial in partials.items():
        if wanted is None or sid in wanted[day]:
            totals[sid].add(day, partial)


def _runs(days: list[date]) -> list[tuple[date, date]]:
    """Contiguous runs of sorted ``days``."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if runs and day == runs[-1][1] + timedelta(days=1):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _by_district(refs: Sequence[StationRef], per_station: dict[int, Totals]) -> dict[int, Totals]:
    by_district: dict[int, Totals] = defaultdict(Totals)
    for ref in refs:
        by_district[ref.district_id].merge(per_station[ref.id])
    return by_district


def _station_rows(session: Session, per_station: dict[int, Totals]) -> tuple[Row, ...]:
    stations = session.scalars(
        select(Station).where(Station.id.in_(list(per_station))).order_by(Station.code)
    )
    return tuple(
        Row("station", s.id, s.code, s.name_zh, s.name_en, per_station[s.id].figures())
        for s in stations
    )


def _district_rows(session: Session, by_district: dict[int, Totals]) -> tuple[Row, ...]:
    """Every district, sorted by code; one without stations shows zeros."""
    districts = session.scalars(select(District).order_by(District.code))
    return tuple(
        Row(
            "district",
            d.id,
            d.code,
            d.name_zh,
            d.name_en,
            by_district.get(d.id, Totals()).figures(),
        )
        for d in districts
    )
