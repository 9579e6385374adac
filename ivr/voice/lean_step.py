"""A call step on PostgreSQL in one or two round trips (``ivr.calls.steps_postgres``): the
station cache it reads, and its write.

An incoming call reads the stations' change counter with what the menu needs of the
caller, then writes caller, call and events in one statement. A later step (a key press,
a forward's end) reads nothing: it uses the station cache as last checked, and its one
statement writes only if the counter has not moved since; if it has, nothing is written
and :func:`ivr.voice.turn.voice_endpoint` does the step again, checking the cache first.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import g
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from ivr.calls import steps, steps_postgres
from ivr.menus.engine import CallerFacts
from ivr.phone import identifies_caller
from ivr.stations.directory import Stations, directory


@dataclass(frozen=True)
class LeanStep:
    """How this request's step is written on PostgreSQL."""

    checked: bool  # the station cache was checked at the request's start
    generation: int | None  # the counter's value the cache was built under
    caller: CallerFacts | None  # an incoming call's caller, read with the counter

    @classmethod
    def footing(
        cls, connection: Connection, arrival: steps.Arrival, incoming: bool
    ) -> tuple[Stations, LeanStep]:
        """The station cache for the step: checked, with the caller's facts, for an
        incoming call (one statement); for a later step used unchecked (its write checks
        it), unless the cache was never checked or this is the step's second try."""
        if incoming:
            generation, caller = steps_postgres.read_incoming(connection, _caller(arrival))
            return directory().at(generation), cls(True, generation, caller)
        known = None if g.get("check_stations_first") else directory().unchecked()
        if known is not None:
            return known, cls(False, known.generation, None)
        stations = directory().stations(connection)
        return stations, cls(True, stations.generation, None)

    def write(
        self,
        connection: Connection,
        session: Session,
        stations: Stations,
        arrival: steps.Arrival,
        incoming: bool,
        write: steps.StepWrite,
        key: str,
        events: list[dict[str, Any]],
    ) -> bool:
        """The step in one statement; False: the call is not there yet (its incoming
        webhook was lost or spooled) and nothing was written, for the caller to open it.
        Raises :class:`~ivr.calls.steps_postgres.StationsMoved` (nothing written)."""
        if incoming:
            station = stations.for_number(session, arrival.to_number)
            station_id = station.id if station is not None else None
            caller = _caller(arrival)
            steps_postgres.open_call(connection, arrival, station_id, caller, write, key, events)
            return True
        call_id = steps_postgres.record_step(
            connection,
            arrival.call_sid,
            write,
            key,
            events,
            arrival.at,
            self.generation,
            self.checked,
        )
        return call_id is not None


def _caller(arrival: steps.Arrival) -> str | None:
    """The number to file the caller under; None for a withheld one."""
    return arrival.from_number if identifies_caller(arrival.from_number) else None
