"""The statistics rollup: closed days' partials kept in ``station_day_figures``.

``refresh_rollups`` recomputes, with the very code live reports use
(``ivr.stats.live.compute_partials``), each station's recent closed days, any older day a
ticket changed since the last refresh touches (a late call-back, a resolution, a
referral), a slice of days not yet rolled up (history, or a gap while the worker was
down), and today up to a few minutes ago: a report then reads only the rest of today
live, whatever the size of the call log. It runs hourly as a Huey periodic task and as
``ivr stats refresh``.

A reopened ticket's old resolution day and a re-prioritised ticket's old due day are
found through their trail events, which keep those times.

What a refresh cannot see: a caller's vulnerability flags changed after their calls were
rolled up. Those days keep the flags as they were when computed (``computed_at``) until
recomputed (``ivr stats refresh --since DATE``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ivr.calls.log import FINAL_STATUSES
from ivr.stats.live import StationRef, by_timezone, compute_partials
from ivr.stats.periods import day_start, local_today
from ivr.stats.stored import write
from models import (
    Call,
    Station,
    StationDayFigures,
    Ticket,
    TicketEvent,
    TicketEventKind,
    utcnow,
)

RECENT_DAYS = 3  # closed days recomputed on every refresh
SETTLE = timedelta(minutes=10)  # today is rolled up to this long ago (late webhooks settle)
BACKFILL_DAYS = 31  # days not yet rolled up, filled in per refresh (newest first)
CHUNK_DAYS = 7  # days computed and committed together


@dataclass(frozen=True)
class RefreshResult:
    station_days: int  # rows written, today's included
    days: tuple[date, ...]  # closed local days recomputed (in any timezone)
    computed_at: datetime
    today_until: datetime | None = None  # how far today was rolled up (the earliest zone)

    def summary(self) -> str:
        parts = []
        if self.days:
            parts.append(
                f"{len(self.days)} closed day(s) recomputed, {self.days[0]} to {self.days[-1]}"
            )
        if self.today_until is not None:
            parts.append(f"today up to {self.today_until:%H:%M} UTC")
        if not parts:
            return "nothing to recompute"
        return f"{self.station_days} station-days: " + "; ".join(parts)


def station_refs(session: Session, ids: Iterable[int] | None = None) -> list[StationRef]:
    query = select(Station.id, Station.code, Station.timezone, Station.district_id)
    if ids is not None:
        query = query.where(Station.id.in_(list(ids)))
    return [StationRef(*row) for row in session.execute(query.order_by(Station.code))]


def refresh_rollups(
    session: Session,
    days: int = RECENT_DAYS,
    now: datetime | None = None,
    since: date | None = None,
    backfill: int = BACKFILL_DAYS,
) -> RefreshResult:
    """Recompute rolled-up days; commits after each chunk of days.

    Per timezone: the last ``days`` closed local days; every closed day from ``since``
    (if given); days touched by tickets changed since the previous refresh; up to
    ``backfill`` days between the first call or ticket and yesterday that have no rows;
    and today so far (see ``_today_cutoff``). Closed days are stamped ``computed_at =
    now`` (the refresh's start): whatever changes while it runs is caught by the next one.
    """
    now = now or utcnow()
    watermark = session.scalar(select(func.max(StationDayFigures.computed_at)))
    touched = _touched_moments(session, watermark) if watermark is not None else []
    earliest = _earliest_activity(session)
    written = 0
    recomputed: set[date] = set()
    cutoffs: list[datetime] = []
    for zone, stations in by_timezone(station_refs(session)).items():
        ids = [s.id for s in stations]
        for first_day, last_day in _chunks(
            _days_to_compute(session, ids, zone, now, days, since, touched, earliest, backfill)
        ):
            partials = compute_partials(session, stations, first_day, last_day, now)
            write(session, ids, first_day, last_day, partials, now)
            session.commit()
            written += len(partials)
            recomputed.update(_span(first_day, last_day))
        today = local_today(zone, now)
        cutoff = _today_cutoff(session, ids, day_start(today, zone), now)
        if cutoff is not None:
            partials = compute_partials(session, stations, today, today, cutoff, keep_people=True)
            write(session, ids, today, today, partials, cutoff, complete=False)
            session.commit()
            written += len(partials)
            cutoffs.append(cutoff)
    return RefreshResult(written, tuple(sorted(recomputed)), now, min(cutoffs, default=None))


def _today_cutoff(
    session: Session, ids: list[int], start: datetime, now: datetime
) -> datetime | None:
    """How far today can be rolled up: to a few minutes ago, and not past the start of a
    call still under way (its outcome may yet change). None: nothing to roll up yet."""
    cutoff = now - SETTLE
    pending = session.scalar(
        select(func.min(Call.started_at)).where(
            Call.started_at >= start,
            Call.started_at < now,
            Call.station_id.in_(ids),
            Call.status.not_in(FINAL_STATUSES),
        )
    )
    if pending is not None:
        cutoff = min(cutoff, pending)
    return cutoff if cutoff > start else None


def _days_to_compute(
    session: Session,
    ids: list[int],
    zone: str,
    now: datetime,
    days: int,
    since: date | None,
    touched: list[datetime],
    earliest: datetime | None,
    backfill: int,
) -> list[date]:
    """The closed local days (in ``zone``) this refresh recomputes, oldest first."""
    tz = ZoneInfo(zone)
    yesterday = local_today(zone, now) - timedelta(days=1)
    wanted = {yesterday - timedelta(days=n) for n in range(max(days, 0))}
    if since is not None:
        wanted.update(_span(since, yesterday))
    wanted.update(moment.astimezone(tz).date() for moment in touched)
    if earliest is None:
        return sorted(d for d in wanted if d <= yesterday)
    first = earliest.astimezone(tz).date()
    if backfill > 0:
        present = _days_present(session, ids, first)
        missing = sorted(set(_span(first, yesterday)) - present - wanted, reverse=True)
        wanted.update(missing[:backfill])
    # Nothing happened before the first call or ticket: no rows to keep for those days.
    return sorted(d for d in wanted if first <= d <= yesterday)


def _span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _chunks(days: Sequence[date]) -> list[tuple[date, date]]:
    """Contiguous runs of ``days`` (sorted), each at most CHUNK_DAYS long."""
    runs: list[tuple[date, date]] = []
    for day in days:
        if (
            runs
            and day == runs[-1][1] + timedelta(days=1)
            and (day - runs[-1][0]).days < CHUNK_DAYS
        ):
            runs[-1] = (runs[-1][0], day)
        else:
            runs.append((day, day))
    return runs


def _touched_moments(session: Session, watermark: datetime) -> list[datetime]:
    """When tickets changed since ``watermark`` were opened, first called back, resolved
    and due: the days whose figures those changes may have moved."""
    moments: set[datetime] = set()
    rows = session.execute(
        select(Ticket.opened_at, Ticket.first_callback_at, Ticket.resolved_at, Ticket.due_at).where(
            Ticket.updated_at >= watermark
        )
    )
    for row in rows:
        moments.update(moment for moment in row if moment is not None)
    # A reopened ticket no longer carries the resolution it had, nor a changed priority the
    # due time it had: their events keep the old times, whose days counted them.
    events = session.scalars(
        select(TicketEvent.data).where(
            TicketEvent.at >= watermark,
            TicketEvent.kind.in_([TicketEventKind.REOPENED, TicketEventKind.PRIORITY_CHANGED]),
        )
    )
    for data in events:
        for key in MOVED_MOMENTS:
            moment = _moment((data or {}).get(key))
            if moment is not None:
                moments.add(moment)
    return sorted(moments)


MOVED_MOMENTS = ("resolved_at", "due_at")


def _moment(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _earliest_activity(session: Session) -> datetime | None:
    candidates = [
        session.scalar(select(func.min(Call.started_at))),
        session.scalar(select(func.min(Ticket.opened_at))),
    ]
    found = [c for c in candidates if c is not None]
    return min(found) if found else None


def _days_present(session: Session, ids: list[int], first: date) -> set[date]:
    return set(
        session.scalars(
            select(StationDayFigures.day)
            .where(
                StationDayFigures.station_id.in_(ids),
                StationDayFigures.day >= first,
                StationDayFigures.complete.is_(True),
            )
            .distinct()
        )
    )
