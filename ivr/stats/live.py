"""Partials computed from the raw tables: calls, voicemails, tickets and referral events.

One set of queries per timezone (never per station): the stations of a timezone share
the period's UTC bounds. Rows are bucketed into (station, local day) partials in Python,
where local days, hours and whole minutes are computed identically on every database.
The same function serves live reports and the rollup refresh, so the two cannot differ.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, text
from sqlalchemy.orm import Session

from ivr.phone import identifies_caller
from ivr.stats.partials import DayPartial
from ivr.stats.periods import days_in, utc_bounds
from ivr.stats.raw import as_utc, raw
from models import (
    Call,
    CallDirection,
    CallerVulnerability,
    CallOutcome,
    Ticket,
    TicketEvent,
    TicketEventKind,
    Voicemail,
    VoicemailState,
)
from models.voicemail import UNFINISHED_OR_FAILED

OUTCOME_FIELDS = {
    CallOutcome.ANSWERED: "calls_answered",
    CallOutcome.VOICEMAIL: "calls_to_voicemail",
    CallOutcome.ABANDONED: "calls_abandoned",
}
BACKLOG_STATES = (VoicemailState.RECEIVED, VoicemailState.FETCHED)

Key = tuple[int, date]  # (station id, local day)


@dataclass(frozen=True)
class StationRef:
    """What the figures need to know of a station."""

    id: int
    code: str
    timezone: str
    district_id: int


def by_timezone(stations: Iterable[StationRef]) -> dict[str, list[StationRef]]:
    zones: dict[str, list[StationRef]] = defaultdict(list)
    for station in stations:
        zones[station.timezone].append(station)
    return dict(sorted(zones.items()))


def compute_partials(
    session: Session,
    stations: Sequence[StationRef],
    first: date,
    last: date,
    now: datetime,
    since: datetime | None = None,
    seen: dict[int, set[str]] | None = None,
    keep_people: bool = False,
) -> dict[Key, DayPartial]:
    """Every (station, local day) partial from ``first`` to ``last``, zeros included, as of
    ``now`` (nothing after it counts).

    ``since`` starts the reading later than the first day's midnight: the rest of a day
    whose earlier part is rolled up, ``seen`` then naming each station's callers already
    counted that day. ``keep_people`` keeps each partial's callers for that purpose.
    """
    partials: dict[Key, DayPartial] = {}
    for zone, group in by_timezone(stations).items():
        tz = ZoneInfo(zone)
        lo, hi = utc_bounds(first, last, zone)
        lo, hi = max(lo, since) if since else lo, min(hi, now)
        ids = [s.id for s in group]
        zone_partials = {(sid, day): DayPartial() for sid in ids for day in days_in(first, last)}
        if lo < hi:
            _add_calls(session, zone_partials, tz, ids, lo, hi, seen or {}, keep_people)
            _add_voicemails(session, zone_partials, tz, ids, lo, hi)
            _add_tickets(session, zone_partials, tz, ids, lo, hi)
            _add_referrals(session, zone_partials, tz, {s.code: s.id for s in group}, lo, hi)
        partials.update(zone_partials)
    return partials


def _add_calls(
    session: Session,
    partials: dict[Key, DayPartial],
    tz: ZoneInfo,
    ids: list[int],
    lo: datetime,
    hi: datetime,
    seen: dict[int, set[str]],
    keep_people: bool,
) -> None:
    where = (
        Call.direction == CallDirection.INBOUND,
        Call.station_id.in_(ids),
        Call.started_at >= lo,
        Call.started_at < hi,
    )
    flags: dict[int, list[str]] = defaultdict(list)
    for caller_id, flag in session.execute(
        select(CallerVulnerability.caller_id, CallerVulnerability.flag).where(
            CallerVulnerability.caller_id.in_(select(Call.caller_id).where(*where))
        )
    ):
        flags[caller_id].append(flag.value)
    # A person-time is a caller (by number) at a station on a local day; a call from a
    # withheld number (none, or one of Twilio's placeholders, which every caller who
    # withholds theirs shares) cannot be told apart from another, so each counts alone.
    people: dict[tuple[int, date, str], set[str]] = {}
    rows = session.execute(
        select(
            Call.id,
            Call.station_id,
            raw(Call.started_at),
            Call.outcome,
            Call.from_number,
            Call.caller_id,
        ).where(*where)
    )
    for call_id, station_id, started_at, outcome, number, caller_id in rows:
        local = as_utc(started_at).astimezone(tz)
        day = local.date()
        partial = partials[(station_id, day)]
        partial.calls_received += 1
        partial.calls_by_hour[local.hour] += 1
        name = OUTCOME_FIELDS.get(outcome)
        if name is not None:
            setattr(partial, name, getattr(partial, name) + 1)
        who = number if identifies_caller(number) else f"call-{call_id}"
        people.setdefault((station_id, day, who), set()).update(flags.get(caller_id, ()))
    for (station_id, day, who), caller_flags in people.items():
        if who in seen.get(station_id, ()):
            continue  # already a person-time in the rolled-up part of the day
        partial = partials[(station_id, day)]
        partial.person_times += 1
        partial.vulnerable_served.update(caller_flags)
        if keep_people and not who.startswith("call-"):
            partial.people.add(who)


def _add_voicemails(
    session: Session,
    partials: dict[Key, DayPartial],
    tz: ZoneInfo,
    ids: list[int],
    lo: datetime,
    hi: datetime,
) -> None:
    rows = session.execute(
        select(Voicemail.station_id, raw(Voicemail.created_at)).where(
            Voicemail.station_id.in_(ids), Voicemail.created_at >= lo, Voicemail.created_at < hi
        )
    )
    for station_id, created_at in rows:
        partials[(station_id, as_utc(created_at).astimezone(tz).date())].voicemails += 1


def _add_tickets(
    session: Session,
    partials: dict[Key, DayPartial],
    tz: ZoneInfo,
    ids: list[int],
    lo: datetime,
    hi: datetime,
) -> None:
    first_voicemail = (
        select(func.min(Voicemail.created_at))
        .where(Voicemail.ticket_id == Ticket.id)
        .correlate(Ticket)
        .scalar_subquery()
    )

    def within(column):  # type: ignore[no-untyped-def]
        return and_(column >= lo, column < hi)

    rows = session.execute(
        select(
            Ticket.station_id,
            raw(Ticket.opened_at),
            raw(Ticket.resolved_at),
            raw(Ticket.first_callback_at),
            raw(Ticket.due_at),
            Ticket.resolution_category,
            Ticket.problems_solved,
            raw(first_voicemail),
        ).where(
            Ticket.station_id.in_(ids),
            or_(
                within(Ticket.opened_at),
                within(Ticket.resolved_at),
                within(Ticket.first_callback_at),
                within(Ticket.due_at),
            ),
        )
    )

    def partial(station_id: int, moment: datetime) -> DayPartial:
        return partials[(station_id, moment.astimezone(tz).date())]

    for sid, *moments, category, problems, voiced in rows:
        opened, resolved, first_callback, due = map(as_utc, moments)
        start = as_utc(voiced) or opened
        if lo <= opened < hi:
            partial(sid, opened).tickets_opened += 1
        if first_callback is not None and lo <= first_callback < hi:
            p = partial(sid, first_callback)
            p.first_callback_minutes.append(minutes_between(start, first_callback))
            p.first_callback_within_sla += first_callback <= due
        if resolved is not None and lo <= resolved < hi:
            p = partial(sid, resolved)
            p.tickets_resolved += 1
            p.problems_solved[category.value if category else "other"] += problems
            p.resolution_minutes.append(minutes_between(start, resolved))
            p.resolution_within_sla += resolved <= due
        # Due before now (``hi`` is at most now) and not resolved by then.
        if lo <= due < hi and (resolved is None or resolved > due):
            partial(sid, due).tickets_overdue += 1


def minutes_between(start: datetime, end: datetime) -> int:
    """Whole minutes from ``start`` to ``end``, rounded down; never below zero."""
    return max(0, int((end - start).total_seconds() // 60))


def _add_referrals(
    session: Session,
    partials: dict[Key, DayPartial],
    tz: ZoneInfo,
    by_code: dict[str, int],
    lo: datetime,
    hi: datetime,
) -> None:
    rows = session.execute(
        select(raw(TicketEvent.at), TicketEvent.data).where(
            TicketEvent.kind == TicketEventKind.REFERRED,
            TicketEvent.at >= lo,
            TicketEvent.at < hi,
        )
    )
    for at, data in rows:
        day = as_utc(at).astimezone(tz).date()
        sender = by_code.get((data or {}).get("from_station") or "")
        receiver = by_code.get((data or {}).get("to_station") or "")
        if sender is not None:
            partials[(sender, day)].referrals_sent += 1
        if receiver is not None:
            partials[(receiver, day)].referrals_received += 1


def voicemail_states(
    session: Session, stations: Sequence[StationRef], first: date, last: date
) -> dict[int, tuple[int, int]]:
    """Per station: of the voicemails created in the period, how many are waiting for
    transcription now (received or fetched) and how many failed. Always live: these move
    as the worker transcribes. The few such rows are found through a partial index;
    stations are picked out here, not in SQL, so that the planner is never tempted to read
    every voicemail of the period through the station index instead."""
    result: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for zone, group in by_timezone(stations).items():
        lo, hi = utc_bounds(first, last, zone)
        ids = {s.id for s in group}
        rows = session.execute(
            select(Voicemail.station_id, Voicemail.state, func.count())
            .where(
                text(UNFINISHED_OR_FAILED),
                Voicemail.created_at >= lo,
                Voicemail.created_at < hi,
            )
            .group_by(Voicemail.station_id, Voicemail.state)
        )
        for station_id, state, n in rows:
            if station_id in ids:
                result[station_id][0 if state in BACKLOG_STATES else 1] += n
    return {sid: (backlog, failed) for sid, (backlog, failed) in result.items()}
