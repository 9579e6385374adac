"""What a call step needs to know about stations, read once per change.

Every incoming call asks which station a dialled number rings, that station's opening
hours, on-duty phones and live menu, and whether the caller's number is on a block list;
transfers ask the same by station code. Those change a few times a day and are read on
every step, so each process keeps them here, built from the database on first use and
dropped as a whole when the ``call_path`` counter
(kept by database triggers, see ``models.cache``) moved since. The counter is read at
the start of each step's transaction, before anything the cache may load, so a cached
entry is never older than the counter it is filed under.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime

from flask import Flask, current_app
from sqlalchemy import Connection, select
from sqlalchemy.orm import Session, selectinload

from ivr.calls.block_list import BlockSnapshot
from ivr.menus.engine import CallContext
from ivr.menus.hours import HoursInvalid, OpeningHours
from ivr.menus.versions import menu_ref_for
from ivr.phone import is_e164
from models import CALL_PATH, HotlineNumber, MenuStatus, MenuVersion, Station
from models.db import PlainSQL

MAX_NUMBERS = 20_000  # dialled numbers remembered, unknown ones included

GENERATION = f"SELECT value FROM cache_generations WHERE name = '{CALL_PATH}'"


@dataclass(frozen=True)
class StationFacts:
    """A station as the call path sees it; immutable, shared between threads."""

    id: int
    code: str
    name_zh: str
    active: bool
    ticket_on_abandon: bool
    names: dict[str, str]  # by menu language, for "{station}" in prompts
    hours: OpeningHours
    on_duty_phones: tuple[str, ...]  # active phones, in roster order
    hotline_numbers: tuple[str, ...]
    menu_ref: str  # the live menu: a published version, or the default template

    @classmethod
    def of(cls, station: Station, menu_ref: str = "") -> StationFacts:
        try:
            hours = OpeningHours.from_settings(
                station.timezone,
                station.twenty_four_hours,
                station.opening_hours,
                station.holidays,
            )
        except HoursInvalid:
            hours = OpeningHours(station.timezone)  # bad settings must not close a hotline
        return cls(
            id=station.id,
            code=station.code,
            name_zh=station.name_zh,
            active=station.active,
            ticket_on_abandon=station.ticket_on_abandon,
            names={
                "zh": station.name_zh,
                "yue": station.name_zh,
                "en": station.name_en or station.name_zh,
            },
            hours=hours,
            on_duty_phones=tuple(p.number for p in station.on_duty_phones if p.active),
            hotline_numbers=tuple(n.number for n in station.hotline_numbers),
            menu_ref=menu_ref,
        )

    def context(self, hotline_number: str, now: datetime) -> CallContext:
        """The engine's view of this station for a call to ``hotline_number`` at ``now``."""
        # Caller ID must be a number we own: the one dialled, or the station's first.
        if not is_e164(hotline_number):
            hotline_number = self.hotline_numbers[0] if self.hotline_numbers else ""
        return CallContext(self.names, hotline_number, self.on_duty_phones, self.hours, now)


class Directory:
    """One process's cache of :class:`StationFacts`, by id, dialled number and code."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._current = Stations(None)

    def stations(self, connection: Connection) -> Stations:
        """The cache for this request (one small query to check it, before anything the
        request reads: on PostgreSQL a statement of its own, with no BEGIN).

        A request that finds the counter moved starts a new cache; one that was still
        filling the old cache fills a cache nobody else reads any more.
        """
        row = PlainSQL(connection).one(GENERATION, alone=True)
        return self.at(row[0] if row is not None else None)

    def unchecked(self) -> Stations | None:
        """The cache as last checked, without a query; None before the first check.

        Only for a step whose write checks the counter itself and is redone if the
        counter moved (``ivr.calls.steps_postgres``): what it read from a cache that turns
        out stale is then never written.
        """
        current = self._current
        return current if current.generation is not None else None

    def at(self, generation: int | None) -> Stations:
        """The cache for the counter's value ``generation``, just read."""
        current = self._current
        if generation is not None and generation == current.generation:
            return current
        with self._lock:
            if self._current.generation != generation or generation is None:
                self._current = Stations(generation)
            return self._current


class Stations:
    """Stations as of one value of the change counter; filled on demand."""

    def __init__(self, generation: int | None) -> None:
        self.generation = generation
        self._by_id: dict[int, StationFacts | None] = {}
        self._by_number: dict[str, int | None] = {}
        self._by_code: dict[str, int | None] = {}
        self._blocks: BlockSnapshot | None = None

    def get(self, session: Session, station_id: int) -> StationFacts | None:
        if station_id in self._by_id:
            return self._by_id[station_id]
        row = session.get(Station, station_id)
        facts = StationFacts.of(row, menu_ref_for(session, row)) if row is not None else None
        self._by_id[station_id] = facts
        return facts

    def for_number(self, session: Session, number: str) -> StationFacts | None:
        """The station a dialled number (``To``) rings, if any."""
        if number not in self._by_number:
            if len(self._by_number) >= MAX_NUMBERS:
                self._by_number.clear()
            self._by_number[number] = session.scalar(
                select(HotlineNumber.station_id).where(HotlineNumber.number == number)
            )
        station_id = self._by_number[number]
        return self.get(session, station_id) if station_id is not None else None

    def for_code(self, session: Session, code: str) -> StationFacts | None:
        if code not in self._by_code:
            if len(self._by_code) >= MAX_NUMBERS:
                self._by_code.clear()
            self._by_code[code] = session.scalar(select(Station.id).where(Station.code == code))
        station_id = self._by_code[code]
        return self.get(session, station_id) if station_id is not None else None

    def blocks(self, session: Session) -> BlockSnapshot:
        """The block lists (``ivr.calls.block_list``), loaded on first use."""
        blocks = self._blocks
        if blocks is None:
            blocks = self._blocks = BlockSnapshot.load(session)
        return blocks

    def fill(self, session: Session) -> list[StationFacts]:
        """Load every station at once (a web worker's start: the first burst of calls then
        finds them all here, instead of each paying for its station's first call)."""
        rows = session.scalars(
            select(Station).options(
                selectinload(Station.hotline_numbers), selectinload(Station.on_duty_phones)
            )
        ).all()
        live = live_menu_refs(session)
        self._blocks = BlockSnapshot.load(session)
        filled = []
        for row in rows:
            facts = StationFacts.of(row, live.get(row.id, f"d{row.id}"))
            self._by_id[row.id] = facts
            self._by_code[row.code] = row.id
            for number in facts.hotline_numbers:
                self._by_number[number] = row.id
            filled.append(facts)
        return filled


def live_menu_refs(session: Session) -> dict[int, str]:
    """Every station's published menu (``v<id>``, its latest published version)."""
    refs: dict[int, str] = {}
    published = (
        select(MenuVersion.station_id, MenuVersion.id)
        .where(MenuVersion.status == MenuStatus.PUBLISHED)
        .order_by(MenuVersion.station_id, MenuVersion.version)
    )
    for station_id, version_id in session.execute(published):
        refs[station_id] = f"v{version_id}"  # the last one wins: the highest version
    return refs


def init_app(app: Flask) -> None:
    app.extensions["ivr.stations.directory"] = Directory()


def directory() -> Directory:
    return current_app.extensions["ivr.stations.directory"]
