"""The call log's hot path: each webhook step in two or three SQL statements.

Every step of every call passes through here, so it skips the ORM and even SQLAlchemy's
statement machinery (which costs ten times what SQLite takes to run these statements):
each statement is plain SQL, sent on the session's own DBAPI connection, inside the
session's transaction. What a step writes:

- a key press, a forward's end, a recording: one ``UPDATE calls … RETURNING id`` (the
  outcome raised in SQL, so concurrent callbacks can never lower it) and one batch of
  CallEvent inserts, to which a retried request (same key) adds nothing;
- an incoming call: the caller upserted (the same statement returns what the menu needs
  of them: their preferred language and whether the registry flags them elderly), the
  call inserted with its first step's state, and its events — or, if the call exists
  already (a retry, or the status callback came first), the update as for a key press.

Errors reach callers as SQLAlchemy's (``OperationalError`` for a lock not had in time),
as they would from any other statement.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ivr.menus.engine import CallerFacts
from ivr.phone import identifies_caller
from ivr.stations.directory import Stations
from models import CallOutcome, Vulnerability
from models.db import PlainSQL

# An outcome only ever moves up this ladder: a retried or late callback cannot undo one.
OUTCOME_RANK = {
    CallOutcome.IN_PROGRESS: 0,
    CallOutcome.ABANDONED: 1,
    CallOutcome.COMPLETED: 2,
    CallOutcome.TRANSFERRED: 3,
    CallOutcome.VOICEMAIL: 4,
    CallOutcome.ANSWERED: 5,
    CallOutcome.BLOCKED: 6,  # final: a blocked call is hung up on at once
}
OUTCOME_RANK_SQL = " ".join(f"WHEN '{o.value}' THEN {rank}" for o, rank in OUTCOME_RANK.items())


@dataclass(frozen=True)
class CallRow:
    """A call as a step reads it, inside the step's transaction."""

    id: int
    call_sid: str
    from_number: str
    to_number: str
    station_id: int | None
    caller_id: int | None
    transferred_to_station_id: int | None
    chosen_need: str | None
    outcome: CallOutcome


@dataclass(frozen=True)
class Arrival:
    """What Twilio's request says of the call: which, from where, to where, and when."""

    call_sid: str
    from_number: str
    to_number: str
    at: datetime


@dataclass(frozen=True)
class StepWrite:
    """What a step changes on its call; None leaves a column as it is."""

    last_node: str | None = None
    language: str | None = None
    need: str | None = None
    transferred_to: int | None = None
    outcome: CallOutcome | None = None  # raised to, if higher

    def params(self) -> dict[str, Any]:
        outcome = self.outcome
        return {
            "last_node": self.last_node,
            "language": self.language,
            "need": self.need,
            "transferred_to": self.transferred_to,
            "rank": OUTCOME_RANK[outcome] if outcome is not None else -1,
            "outcome": outcome.value if outcome is not None else None,
        }


FIND_CALL = """
SELECT id, call_sid, from_number, to_number, station_id, caller_id,
       transferred_to_station_id, chosen_need, outcome
FROM calls WHERE call_sid = :sid"""
UPSERT_CALLER = f"""
INSERT INTO callers (phone_number, name, notes, created_at, updated_at)
VALUES (:number, '', '', :now, :now)
ON CONFLICT (phone_number) DO UPDATE SET phone_number = excluded.phone_number
RETURNING id, preferred_language,
  EXISTS (SELECT 1 FROM caller_vulnerabilities v WHERE v.caller_id = callers.id
          AND v.flag = '{Vulnerability.LONE_ELDERLY.value}')"""
INSERT_CALL = """
INSERT INTO calls (call_sid, direction, from_number, to_number, station_id, caller_id,
                   language, last_node, chosen_need, transferred_to_station_id,
                   started_at, status, outcome, created_at, updated_at)
VALUES (:sid, 'inbound', :from_number, :to_number, :station_id, :caller_id,
        :language, :last_node, :need, :transferred_to,
        :now, 'in-progress', :outcome_or_start, :now, :now)
ON CONFLICT (call_sid) DO NOTHING
RETURNING id"""
RECORD_STEP = f"""
UPDATE calls SET
  last_node = COALESCE(:last_node, last_node),
  language = COALESCE(:language, language),
  chosen_need = COALESCE(:need, chosen_need),
  transferred_to_station_id = COALESCE(:transferred_to, transferred_to_station_id),
  outcome = CASE WHEN (CASE outcome {OUTCOME_RANK_SQL} ELSE -1 END) < :rank
                 THEN :outcome ELSE outcome END,
  updated_at = :now
WHERE call_sid = :sid
RETURNING id"""
EVENT_COLUMNS = ("kind", "node", "digits", "detail", "dedupe_key")
MAX_EVENTS = 64  # one statement carries at most this many (a step has a handful)


def _insert_events(count: int) -> str:
    """One INSERT of ``count`` events (one round trip on PostgreSQL, however many)."""
    rows = ", ".join(
        "(:call_id, :at, " + ", ".join(f":{column}{i}" for column in EVENT_COLUMNS) + ")"
        for i in range(count)
    )
    return (
        "INSERT INTO call_events (call_id, at, kind, node, digits, detail, dedupe_key) "
        f"VALUES {rows} ON CONFLICT (call_id, dedupe_key) DO NOTHING"
    )


INSERT_EVENTS = {count: _insert_events(count) for count in range(1, MAX_EVENTS + 1)}


def _call_row(row: tuple | None) -> CallRow | None:
    if row is None:
        return None
    *fields, outcome = row
    return CallRow(*fields, outcome=CallOutcome(outcome))


def find_call(connection: Connection, call_sid: str) -> CallRow | None:
    return _call_row(PlainSQL(connection).one(FIND_CALL, {"sid": call_sid}))


@dataclass(frozen=True)
class CallerRow:
    """The resident behind ``From`` as a step reads them; ``id`` None: a withheld number."""

    id: int | None
    facts: CallerFacts


NO_CALLER = CallerRow(None, CallerFacts())


def caller_for(connection: Connection, number: str, now: datetime) -> CallerRow:
    """The resident behind ``From``, created on first call, with what the menu needs of
    them, in one statement; :data:`NO_CALLER` for withheld numbers.

    Twilio's withheld placeholders (``+266696687`` …) look like numbers but stand for many
    different people: a Caller for one would join strangers' calls into one history.
    """
    if not identifies_caller(number):
        return NO_CALLER
    driver = PlainSQL(connection)
    row = driver.one(UPSERT_CALLER, {"number": number, "now": driver.time(now)})
    assert row is not None, "an upsert returns its row"
    return CallerRow(row[0], CallerFacts(elderly=bool(row[2]), language=row[1]))


def caller_id_for(connection: Connection, number: str, now: datetime) -> int | None:
    """The resident behind ``From`` (see :func:`caller_for`); None for withheld numbers."""
    return caller_for(connection, number, now).id


def find_or_open_call(
    connection: Connection, stations: Stations, session: Any, arrival: Arrival
) -> tuple[CallRow, bool]:
    """The call and whether this request opened it (with no step yet).

    ``connection`` is ``session``'s, in its transaction. The same call may arrive twice
    at once (a retry racing the original): one insert wins and the other reads its row.
    """
    found = find_call(connection, arrival.call_sid)
    if found is not None:
        return found, False
    call_id = open_call(connection, stations, session, arrival, StepWrite())
    row = find_call(connection, arrival.call_sid)
    assert row is not None, "the call was just inserted, or a concurrent request did"
    return row, call_id is not None


def open_call(
    connection: Connection,
    stations: Stations,
    session: Any,
    arrival: Arrival,
    write: StepWrite,
    caller: CallerRow | None = None,
) -> int | None:
    """Insert the call with its first step's state; its id, or None if it existed.

    ``caller``: the resident as :func:`caller_for` already read them in this transaction;
    None: read (upsert) them here."""
    station = stations.for_number(session, arrival.to_number)
    driver = PlainSQL(connection)
    if caller is None:
        caller = caller_for(connection, arrival.from_number, arrival.at)
    params = write.params() | {
        "sid": arrival.call_sid,
        "from_number": arrival.from_number,
        "to_number": arrival.to_number,
        "station_id": station.id if station is not None else None,
        "caller_id": caller.id,
        "outcome_or_start": (write.outcome or CallOutcome.IN_PROGRESS).value,
        "now": driver.time(arrival.at),
    }
    params.pop("rank"), params.pop("outcome")
    row = driver.one(INSERT_CALL, params)
    return row[0] if row is not None else None


def record_step(
    connection: Connection,
    call_sid: str,
    write: StepWrite,
    request_key: str,
    step_events: list[dict[str, Any]],
    now: datetime,
) -> int | None:
    """Write one step of an existing call: its new state, then its events (once per
    request key). The call's id, or None if there is no such call.

    Each event carries ``kind`` and optional ``node``, ``digits`` and ``detail``.
    """
    driver = PlainSQL(connection)
    params = write.params() | {"sid": call_sid, "now": driver.time(now)}
    row = driver.one(RECORD_STEP, params)
    if row is None:
        return None
    log_events(connection, row[0], request_key, step_events, now)
    return row[0]


def log_events(
    connection: Connection,
    call_id: int,
    request_key: str,
    step_events: list[dict[str, Any]],
    now: datetime,
) -> None:
    """Add this request's events once: a retried request (same key) adds nothing."""
    if not step_events:
        return
    driver = PlainSQL(connection)
    for start in range(0, len(step_events), MAX_EVENTS):
        batch = step_events[start : start + MAX_EVENTS]
        params = {"call_id": call_id, "at": driver.time(now)}
        driver.one(INSERT_EVENTS[len(batch)], params | event_params(request_key, batch, start))


def event_params(request_key: str, batch: list[dict[str, Any]], start: int = 0) -> dict[str, Any]:
    """The placeholders of one batch of events (``kind0``, ``node0`` …); each event's
    dedupe key is the request key and its place among the request's events."""
    params: dict[str, Any] = {}
    for offset, event in enumerate(batch):
        params |= {
            f"kind{offset}": event["kind"],
            f"node{offset}": event.get("node"),
            f"digits{offset}": event.get("digits"),
            f"detail{offset}": json.dumps(event.get("detail", {})),
            f"dedupe_key{offset}": f"{request_key}:{start + offset}",
        }
    return params
