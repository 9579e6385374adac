"""The call step on PostgreSQL in one or two round trips.

A round trip costs little on the server, but a web worker waits for it, and the database
server has to be scheduled on cores the workers share: before, a key press was five of
them (BEGIN, the change counter, the call's update, its events, COMMIT) and an incoming
call six. Here each step's writes are one statement, with data-modifying CTEs, sent on
its own with no transaction open (autocommit): it commits, durably, before it returns;
no BEGIN, no COMMIT. Being one statement, its writes are all or nothing, as before.

- A key press, a forward's end: one statement that updates the call, adds the request's
  events (once per request key) and reads the stations' change counter. The station cache
  it used was not checked first; the update is made only if the counter still holds the
  value the cache was built under, and otherwise the caller redoes the step with a fresh
  cache (:class:`StationsMoved`), so nothing read from a stale cache is ever written.
- An incoming call: one read (the counter and what the menu needs of the caller), then
  one statement that upserts the caller, inserts the call with its first step's state (or,
  if it exists already, updates it as a key press would) and adds its events.

When the request opened a transaction before (a cache miss read stations through the
ORM, a call-back request was recorded), the statement joins it and commits with it. SQLite
keeps :mod:`ivr.calls.steps`: it has no round trips to save and no data-modifying CTEs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from ivr.calls.steps import (
    EVENT_COLUMNS,
    MAX_EVENTS,
    OUTCOME_RANK_SQL,
    Arrival,
    StepWrite,
    event_params,
)
from ivr.menus.engine import CallerFacts
from ivr.stations.directory import GENERATION
from models import CallOutcome, Vulnerability
from models.db import PlainSQL


class StationsMoved(Exception):
    """The stations changed since the cache this step used was checked: nothing was
    written, and the step must be done again with a fresh cache."""

    def __init__(self, generation: int | None) -> None:
        super().__init__(f"station cache moved to generation {generation}")
        self.generation = generation


READ_INCOMING = f"""
SELECT g.value, c.preferred_language,
  EXISTS (SELECT 1 FROM caller_vulnerabilities v WHERE v.caller_id = c.id
          AND v.flag = '{Vulnerability.LONE_ELDERLY.value}')
FROM ({GENERATION}) AS g (value)
LEFT JOIN callers c ON c.phone_number = :number"""

# What a step sets on an existing call (as ``ivr.calls.steps.RECORD_STEP``).
STEP_SET = f"""
  last_node = COALESCE(:last_node, calls.last_node),
  language = COALESCE(:language, calls.language),
  chosen_need = COALESCE(:need, calls.chosen_need),
  transferred_to_station_id = COALESCE(:transferred_to, calls.transferred_to_station_id),
  outcome = CASE WHEN (CASE calls.outcome {OUTCOME_RANK_SQL} ELSE -1 END) < :rank
                 THEN :outcome ELSE calls.outcome END,
  updated_at = :now"""


def _events_cte(count: int) -> str:
    """``, events AS (…)``: ``count`` events for the call the ``step`` CTE returns."""
    rows = ", ".join(
        "(" + ", ".join(f":{column}{i}" for column in EVENT_COLUMNS[:3]) + f", "
        f"CAST(:detail{i} AS json), :dedupe_key{i})"
        for i in range(count)
    )
    columns = ", ".join(f"e.{column}" for column in EVENT_COLUMNS)
    return f""",
events AS (
  INSERT INTO call_events (call_id, at, {", ".join(EVENT_COLUMNS)})
  SELECT step.id, :now, {columns}
  FROM step CROSS JOIN (VALUES {rows}) AS e ({", ".join(EVENT_COLUMNS)})
  ON CONFLICT (call_id, dedupe_key) DO NOTHING)"""


def _record_step(count: int) -> str:
    return f"""
WITH counter AS ({GENERATION}),
step AS (
  UPDATE calls SET {STEP_SET}
  WHERE call_sid = :sid
    AND (:checked OR (SELECT value FROM counter) IS NOT DISTINCT FROM :generation)
  RETURNING id){_events_cte(count) if count else ""}
SELECT (SELECT id FROM step), (SELECT value FROM counter)"""


CALLER_CTE = """
caller AS (
  INSERT INTO callers (phone_number, name, notes, created_at, updated_at)
  VALUES (:number, '', '', :now, :now)
  ON CONFLICT (phone_number) DO UPDATE SET phone_number = excluded.phone_number
  RETURNING id),"""


def _open_call(count: int, with_caller: bool) -> str:
    caller_id = "(SELECT id FROM caller)" if with_caller else "NULL"
    return f"""
WITH {CALLER_CTE if with_caller else ""}
step AS (
  INSERT INTO calls (call_sid, direction, from_number, to_number, station_id, caller_id,
                     language, last_node, chosen_need, transferred_to_station_id,
                     started_at, status, outcome, created_at, updated_at)
  VALUES (:sid, 'inbound', :from_number, :to_number, :station_id, {caller_id},
          :language, :last_node, :need, :transferred_to,
          :now, 'in-progress', :outcome_or_start, :now, :now)
  ON CONFLICT (call_sid) DO UPDATE SET {STEP_SET}
  RETURNING id){_events_cte(count) if count else ""}
SELECT id FROM step"""


# Built once for the usual counts (a step has a handful of events), on demand beyond.
RECORD_STEP = {count: _record_step(count) for count in range(MAX_EVENTS + 1)}
OPEN_CALL = {
    (count, with_caller): _open_call(count, with_caller)
    for count in range(MAX_EVENTS + 1)
    for with_caller in (False, True)
}


def read_incoming(connection: Connection, number: str | None) -> tuple[int | None, CallerFacts]:
    """The change counter and what the menu needs of the caller (``number`` None: a
    withheld number), in one statement of its own.

    A caller not yet known reads as nobody in particular, as the upsert that creates them
    (in :func:`open_call`) would return them."""
    row = PlainSQL(connection).one(READ_INCOMING, {"number": number}, alone=True)
    if row is None:  # no counter row: every step reads stations afresh
        return None, CallerFacts()
    return row[0], CallerFacts(elderly=bool(row[2]), language=row[1])


def record_step(
    connection: Connection,
    call_sid: str,
    write: StepWrite,
    request_key: str,
    step_events: list[dict[str, Any]],
    now: datetime,
    generation: int | None,
    checked: bool,
) -> int | None:
    """One step of an existing call: its new state and its events (once per request
    key), in one statement. The call's id; None if there is no such call (nothing
    written). ``checked``: the cache was checked at this request's start; otherwise the
    step is written only if the counter still reads ``generation``, and raises
    :class:`StationsMoved` if not.
    """
    driver = PlainSQL(connection)
    params = write.params() | event_params(request_key, step_events)
    params |= {"sid": call_sid, "now": driver.time(now), "checked": checked}
    params["generation"] = generation
    count = len(step_events)
    statement = RECORD_STEP.get(count) or _record_step(count)
    row = driver.one(statement, params, alone=True)
    assert row is not None, "the statement always returns one row"
    call_id, counter = row
    if call_id is None and not checked and counter != generation:
        raise StationsMoved(counter)
    return call_id


def open_call(
    connection: Connection,
    arrival: Arrival,
    station_id: int | None,
    caller_number: str | None,
    write: StepWrite,
    request_key: str,
    step_events: list[dict[str, Any]],
) -> int:
    """An incoming call's first step: the caller upserted (``caller_number`` None: a
    withheld number, no caller), the call inserted with the step's state, its events;
    if the call exists already (Twilio's retry, or the status callback came first), the
    step as :func:`record_step` writes it. One statement; the call's id.
    """
    driver = PlainSQL(connection)
    params = write.params() | event_params(request_key, step_events)
    params |= {
        "sid": arrival.call_sid,
        "from_number": arrival.from_number,
        "to_number": arrival.to_number,
        "station_id": station_id,
        "number": caller_number,
        "outcome_or_start": (write.outcome or CallOutcome.IN_PROGRESS).value,
        "now": driver.time(arrival.at),
    }
    shape = (len(step_events), caller_number is not None)
    statement = OPEN_CALL.get(shape) or _open_call(*shape)
    row = driver.one(statement, params, alone=True)
    assert row is not None, "an upsert returns its row"
    return row[0]
