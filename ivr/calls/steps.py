"""The call log's hot path: each webhook step in a handful of plain SQL statements.

Every step of every call passes through here, so it skips the ORM's unit of work: a call
is read as a :class:`CallRow`, and a step is written as one UPDATE of the call — its
outcome raised in SQL, so concurrent callbacks can never lower it — and one batch of
CallEvent inserts, to which a retried request (same key) adds nothing. The statements are
built once at import and compiled once per process (SQLAlchemy's statement cache).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, String, bindparam, case, func, select, type_coerce, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ivr.phone import identifies_caller
from ivr.stations.directory import Stations
from models import Call, CallDirection, Caller, CallEvent, CallOutcome

calls, events, callers = Call.__table__, CallEvent.__table__, Caller.__table__

# An outcome only ever moves up this ladder: a retried or late callback cannot undo one.
OUTCOME_RANK = {
    CallOutcome.IN_PROGRESS: 0,
    CallOutcome.ABANDONED: 1,
    CallOutcome.COMPLETED: 2,
    CallOutcome.TRANSFERRED: 3,
    CallOutcome.VOICEMAIL: 4,
    CallOutcome.ANSWERED: 5,
}


@dataclass(frozen=True)
class CallRow:
    """A call as one step reads it, at the start of the step's transaction."""

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
class StepWrite:
    """What a step changes on its call; None leaves a column as it is."""

    last_node: str | None = None
    language: str | None = None
    need: str | None = None
    transferred_to: int | None = None
    outcome: CallOutcome | None = None  # raised to, if higher


CALL_COLUMNS = (
    calls.c.id,
    calls.c.call_sid,
    calls.c.from_number,
    calls.c.to_number,
    calls.c.station_id,
    calls.c.caller_id,
    calls.c.transferred_to_station_id,
    calls.c.chosen_need,
    calls.c.outcome,
)
FIND_CALL = select(*CALL_COLUMNS).where(calls.c.call_sid == bindparam("sid"))
FIND_CALLER = select(callers.c.id).where(callers.c.phone_number == bindparam("number"))

_outcome_text = type_coerce(calls.c.outcome, String())
_rank = case({o.value: rank for o, rank in OUTCOME_RANK.items()}, value=_outcome_text, else_=-1)
RECORD_STEP = (
    update(calls)
    .where(calls.c.id == bindparam("call_id"))
    .values(
        last_node=func.coalesce(bindparam("last_node", type_=String()), calls.c.last_node),
        language=func.coalesce(bindparam("language", type_=String()), calls.c.language),
        chosen_need=func.coalesce(bindparam("need", type_=String()), calls.c.chosen_need),
        transferred_to_station_id=func.coalesce(
            bindparam("transferred_to", type_=calls.c.transferred_to_station_id.type),
            calls.c.transferred_to_station_id,
        ),
        outcome=case(
            (_rank < bindparam("rank"), bindparam("outcome", type_=String())),
            else_=_outcome_text,
        ),
        updated_at=bindparam("now", type_=calls.c.updated_at.type),
    )
)


def _by_dialect(build: Any) -> dict[str, Any]:
    return {"sqlite": build(sqlite.insert), "postgresql": build(postgresql.insert)}


INSERT_CALL = _by_dialect(
    lambda insert: (
        insert(calls).on_conflict_do_nothing(index_elements=["call_sid"]).returning(*CALL_COLUMNS)
    )
)
INSERT_CALLER = _by_dialect(
    lambda insert: (
        insert(callers)
        .on_conflict_do_nothing(index_elements=["phone_number"])
        .returning(callers.c.id)
    )
)
INSERT_EVENTS = _by_dialect(
    lambda insert: insert(events).on_conflict_do_nothing(index_elements=["call_id", "dedupe_key"])
)


def _row(result: Any) -> CallRow | None:
    row = result.first()
    return CallRow(*row) if row is not None else None


def find_call(connection: Connection, call_sid: str) -> CallRow | None:
    return _row(connection.execute(FIND_CALL, {"sid": call_sid}))


def caller_id_for(connection: Connection, number: str, now: datetime) -> int | None:
    """The resident behind ``From``, created on first call; None for withheld numbers."""
    if not identifies_caller(number):
        return None
    found = connection.execute(FIND_CALLER, {"number": number}).scalar()
    if found is not None:
        return found
    values = {"phone_number": number, "name": "", "notes": "", "created_at": now, "updated_at": now}
    created = connection.execute(INSERT_CALLER[connection.dialect.name], values).scalar()
    if created is None:  # a concurrent call from the same new number inserted it first
        created = connection.execute(FIND_CALLER, {"number": number}).scalar()
    return created


def find_or_open_call(
    session: Session,
    connection: Connection,
    stations: Stations,
    call_sid: str,
    from_number: str,
    to_number: str,
    now: datetime,
) -> tuple[CallRow, bool]:
    """The call for ``call_sid`` and whether this request opened it.

    The same call may arrive twice at once (a retry racing the original): one insert wins
    and the other reads its row. ``connection`` is ``session``'s, in its transaction.
    """
    found = find_call(connection, call_sid)
    if found is not None:
        return found, False
    station = stations.for_number(session, to_number)
    values = {
        "call_sid": call_sid,
        "direction": CallDirection.INBOUND,
        "from_number": from_number,
        "to_number": to_number,
        "station_id": station.id if station is not None else None,
        "caller_id": caller_id_for(connection, from_number, now),
        "started_at": now,
        "status": "in-progress",
        "outcome": CallOutcome.IN_PROGRESS,
        "created_at": now,
        "updated_at": now,
    }
    created = _row(connection.execute(INSERT_CALL[connection.dialect.name], values))
    if created is not None:
        return created, True
    found = find_call(connection, call_sid)
    assert found is not None, "a conflicting call row must exist"
    return found, False


def record_step(
    connection: Connection,
    call_id: int,
    write: StepWrite,
    request_key: str,
    step_events: list[dict[str, Any]],
    now: datetime,
) -> None:
    """Write one step: the call's new state, then its events (once per request key).

    Each event carries ``kind`` and optional ``node``, ``digits`` and ``detail``.
    """
    outcome = write.outcome
    if write != StepWrite():
        connection.execute(
            RECORD_STEP,
            {
                "call_id": call_id,
                "last_node": write.last_node,
                "language": write.language,
                "need": write.need,
                "transferred_to": write.transferred_to,
                "rank": OUTCOME_RANK[outcome] if outcome is not None else -1,
                "outcome": outcome.value if outcome is not None else None,
                "now": now,
            },
        )
    if not step_events:
        return
    rows = [
        {
            "call_id": call_id,
            "at": now,
            "kind": event["kind"],
            "node": event.get("node"),
            "digits": event.get("digits"),
            "detail": event.get("detail", {}),
            "dedupe_key": f"{request_key}:{index}",
        }
        for index, event in enumerate(step_events)
    ]
    connection.execute(INSERT_EVENTS[connection.dialect.name], rows)
