"""Statistics at scale: the city's month report at 10k calls and at 1M calls / 200k tickets.

    .venv/bin/python benchmarks/stats_scale.py [--runs 7] [--warmup 2] [--postgres] [--keep]

Builds two databases, "small" (10k calls, 2k tickets) and "large" (1M calls, 200k tickets),
both with 11 districts and 200 stations (10 of them on Asia/Urumqi time), 90 days of
history before a fixed "now" (2026-11-20 12:00 in Shanghai), loaded with the database
driver's bulk path (executemany on SQLite, COPY on PostgreSQL). SQLite files live under
/tmp; with --postgres the same runs are repeated on two throw-away PostgreSQL databases
next to 127.0.0.1:5432/test, dropped at the end. For each database it refreshes the rollup
as the worker last did before "now" (10 minutes earlier; timed), then times
``build_report`` for the city and the "month" preset (Nov 1-20) after warm-ups, each run
on a new session, alternating sizes and modes: with the rollup (closed days and today to
11:40 from it, the last 20 minutes live) and entirely live. It prints the medians, the
large/small ratio against the target (at most 2x with the rollup) and whether both ways
gave the same figures, and exits 1 if the target is missed or the figures differ.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from ivr.stats.figures import build_report, parse_period, resolve_scope
from ivr.stats.rollup import refresh_rollups
from models.db import make_engine
from models.migrate import upgrade

ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 11, 20, 4, 0, tzinfo=UTC)  # 12:00 in Shanghai
REFRESHED = NOW - timedelta(minutes=10)
HISTORY_DAYS = 90
SIZES = {
    "small": {"calls": 10_000, "tickets": 2_000, "callers": 6_000},
    "large": {"calls": 1_000_000, "tickets": 200_000, "callers": 150_000},
}
STATIONS, DISTRICTS, URUMQI = 200, 11, 10
TARGET = 2.0
BATCH = 50_000
FLAGS = ("dibao", "dishou", "tekun", "lone_elderly", "child_in_difficulty", "severe_disability")
CATEGORIES = ("food", "medicine", "medical", "emotional", "policy", "other")
MODES = ("rollup", "live")
OUTCOMES = (("voicemail", 0.25), ("completed", 0.40), ("abandoned", 0.20), ("answered", 0.10))


@dataclass
class Site:
    database: str  # "sqlite" or "postgresql"
    size: str
    url: str
    engine: Engine | None = None


class Loader:
    """Bulk inserts through the driver: values already in the column's stored form."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.sqlite = engine.dialect.name == "sqlite"

    def cell(self, value: object) -> object:
        if isinstance(value, dict | list):
            return json.dumps(value, ensure_ascii=False)
        if self.sqlite and isinstance(value, datetime):
            return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
        if self.sqlite and isinstance(value, bool):
            return int(value)
        return value

    def insert(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
        raw = self.engine.raw_connection()
        total = 0
        try:
            cursor = raw.cursor()
            names = ", ".join(columns)
            if self.sqlite:
                cursor.execute("BEGIN")  # the engine leaves transactions to SQLAlchemy
                sql = f"INSERT INTO {table} ({names}) VALUES ({', '.join('?' * len(columns))})"
                for batch in _batches(rows):
                    cursor.executemany(sql, [tuple(map(self.cell, row)) for row in batch])
                    total += len(batch)
            else:
                with cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(tuple(map(self.cell, row)))
                        total += 1
            raw.commit()
        finally:
            raw.close()
        return total


def _batches(rows: Iterable[tuple]) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def moment(rng: random.Random) -> datetime:
    return NOW - timedelta(seconds=rng.random() * HISTORY_DAYS * 86400)


def load(site: Site) -> dict[str, int]:
    """Fill ``site``'s migrated database; returns how many rows of each kind."""
    assert site.engine is not None
    size = SIZES[site.size]
    rng = random.Random(f"stats-{site.size}")
    loader = Loader(site.engine)
    created = NOW - timedelta(days=HISTORY_DAYS + 1)
    counts = {}
    loader.insert(
        "districts",
        ("id", "code", "name_zh", "name_en", "created_at", "updated_at"),
        (
            (d, f"district-{d:02d}", f"区{d}", f"District {d}", created, created)
            for d in range(1, DISTRICTS + 1)
        ),
    )
    station_columns = [
        "id",
        "code",
        "name_zh",
        "name_en",
        "district_id",
        "languages",
        "timezone",
        "opening_hours",
        "holidays",
        "twenty_four_hours",
        "sla_urgent_minutes",
        "sla_normal_minutes",
        "ticket_on_abandon",
        "active",
        "settings_version",
        "created_at",
        "updated_at",
    ]
    loader.insert(
        "stations",
        tuple(station_columns),
        (
            (
                s,
                f"station-{s:03d}",
                f"社工站{s}",
                f"Station {s}",
                1 + (s - 1) % DISTRICTS,
                ["zh"],
                "Asia/Urumqi" if s > STATIONS - URUMQI else "Asia/Shanghai",
                {},
                [],
                True,
                60,
                1440,
                True,
                True,
                1,
                created,
                created,
            )
            for s in range(1, STATIONS + 1)
        ),
    )
    callers = size["callers"]
    counts["callers"] = loader.insert(
        "callers",
        ("id", "phone_number", "name", "notes", "created_at", "updated_at"),
        ((c, f"+86138{c:08d}", "", "", created, created) for c in range(1, callers + 1)),
    )
    counts["vulnerability flags"] = loader.insert(
        "caller_vulnerabilities",
        ("caller_id", "flag"),
        ((c, rng.choice(FLAGS)) for c in range(1, callers + 1) if rng.random() < 0.15),
    )
    counts["calls"] = loader.insert("calls", CALL_COLUMNS, _calls(rng, size["calls"], callers))
    tickets, voicemails, events = _tickets(rng, size["tickets"], callers)
    counts["tickets"] = loader.insert("tickets", TICKET_COLUMNS, tickets)
    counts["voicemails"] = loader.insert("voicemails", VOICEMAIL_COLUMNS, voicemails)
    counts["referrals"] = loader.insert("ticket_events", EVENT_COLUMNS, events)
    with site.engine.connect() as connection:
        if site.database == "postgresql":
            for table in ("districts", "stations", "callers", "tickets"):
                connection.execute(
                    text(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
                )
            connection.commit()
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                text("VACUUM ANALYZE")
            )
        else:
            connection.execute(text("ANALYZE"))
            connection.commit()
    return counts


CALL_COLUMNS = tuple(
    [
        "call_sid",
        "direction",
        "station_id",
        "caller_id",
        "from_number",
        "to_number",
        "started_at",
        "ended_at",
        "duration_seconds",
        "status",
        "outcome",
        "created_at",
        "updated_at",
    ]
)


def _calls(rng: random.Random, n: int, callers: int) -> Iterator[tuple]:
    """Calls in the order they arrive (as the call log fills), evenly over the history."""
    offsets = sorted(rng.random() * HISTORY_DAYS * 86400 for _ in range(n))
    for i, offset in enumerate(offsets, start=1):
        started = NOW - timedelta(days=HISTORY_DAYS) + timedelta(seconds=offset)
        caller = rng.randint(1, callers)
        roll, outcome = rng.random(), "transferred"
        for name, share in OUTCOMES:
            if roll < share:
                outcome = name
                break
            roll -= share
        direction = "callback" if rng.random() < 0.05 else "inbound"
        station = 1 + int(STATIONS * rng.random() ** 1.3)
        ended = started + timedelta(seconds=rng.randint(20, 320))
        yield (
            f"CA{i:032d}",
            direction,
            station,
            caller,
            f"+86138{caller:08d}",
            f"+8620830{station:05d}",
            started,
            ended,
            int((ended - started).total_seconds()),
            "completed",
            outcome,
            started,
            ended,
        )


TICKET_COLUMNS = tuple(
    [
        "id",
        "station_id",
        "caller_id",
        "caller_number",
        "source",
        "status",
        "priority",
        "due_at",
        "opened_at",
        "first_callback_at",
        "resolved_at",
        "referred_from_station_id",
        "resolution_category",
        "problems_solved",
        "version_id",
        "created_at",
        "updated_at",
    ]
)
VOICEMAIL_COLUMNS = tuple(
    [
        "recording_sid",
        "station_id",
        "caller_id",
        "ticket_id",
        "recording_url",
        "menu_tags",
        "state",
        "attempts",
        "created_at",
        "updated_at",
    ]
)
EVENT_COLUMNS = ("ticket_id", "at", "kind", "station_id", "note", "data")


def _tickets(rng: random.Random, n: int, callers: int) -> tuple[list, list, list]:
    """About 85% resolved; the open ones each have their own caller (one open case per
    caller per station); 80% came from a voicemail; 3% were referred on."""
    tickets, voicemails, events = [], [], []
    open_caller = 0
    for i in range(1, n + 1):
        opened = moment(rng)
        station = 1 + int(STATIONS * rng.random() ** 1.3)
        urgent = rng.random() < 0.1
        due = opened + timedelta(minutes=60 if urgent else 1440)
        callback = opened + timedelta(minutes=rng.expovariate(1 / 240))
        callback = callback if callback < NOW and rng.random() < 0.9 else None
        resolved = opened + timedelta(minutes=rng.expovariate(1 / 1200))
        resolved = resolved if resolved < NOW and rng.random() < 0.88 else None
        if resolved is None:
            open_caller += 1
            caller = open_caller
        else:
            caller = rng.randint(1, callers)
        referred_from = None
        if rng.random() < 0.03:
            referred_from = 1 + (station + rng.randint(0, STATIONS - 2)) % STATIONS
            at = opened + timedelta(minutes=30)
            data = {
                "from_station": f"station-{referred_from:03d}",
                "to_station": f"station-{station:03d}",
            }
            events.append((i, at, "referred", referred_from, "", data))
        tickets.append(
            (
                i,
                station,
                caller,
                f"+86138{caller:08d}",
                "voicemail",
                "resolved" if resolved else ("in_progress" if callback else "open"),
                0 if urgent else 2,
                due,
                opened,
                callback,
                resolved,
                referred_from,
                rng.choice(CATEGORIES) if resolved else None,
                rng.randint(1, 3) if resolved else 0,
                1,
                opened,
                resolved or opened,
            )
        )
        if rng.random() < 0.8:
            left = opened - timedelta(minutes=1)
            state = "transcribed"
            if rng.random() < 0.01:
                state = "failed"
            elif NOW - left < timedelta(minutes=30):
                state = "received"
            voicemails.append(
                (f"RE{i:032d}", referred_from or station, caller, i, "", [], state, 1, left, left)
            )
    return tickets, voicemails, events


def report_once(site: Site, use_rollups: bool):  # type: ignore[no-untyped-def]
    with Session(site.engine) as session:
        scope = resolve_scope(session, "city")
        period = parse_period("month", None, None, scope.today(NOW))
        started = time.perf_counter()
        report = build_report(session, scope, period, now=NOW, use_rollups=use_rollups)
        return time.perf_counter() - started, report


def measure(sites: list[Site], runs: int, warmup: int) -> tuple[dict, dict]:
    """Times per (size, mode), alternating sizes and modes run by run so that drift on a
    shared machine hits all alike; the last report of each is kept for comparison."""
    times: dict[tuple[str, str], list[float]] = {}
    reports = {}
    for n in range(warmup + runs):
        for mode in MODES:
            for site in sites:
                seconds, reports[(site.size, mode)] = report_once(site, mode == "rollup")
                if n >= warmup:
                    times.setdefault((site.size, mode), []).append(seconds)
    return times, reports


def refresh(site: Site) -> float:
    """The worker's last refresh, as long ago as it can be before the report (it runs every
    10 minutes): today is rolled up to 20 minutes before "now", and those are read live."""
    with Session(site.engine) as session:
        started = time.perf_counter()
        since = (NOW - timedelta(days=HISTORY_DAYS + 1)).date()
        refresh_rollups(session, now=REFRESHED, since=since)
        return time.perf_counter() - started


def run(sites: list[Site], runs: int, warmup: int) -> bool:
    for site in sites:
        site.engine = make_engine(site.url)
        upgrade(site.engine)
        started = time.perf_counter()
        counts = load(site)
        loaded = time.perf_counter() - started
        seconds = refresh(site)
        shown = ", ".join(f"{v:,} {k}" for k, v in counts.items())
        print(
            f"  {site.database}/{site.size}: loaded in {loaded:.1f} s ({shown}); "
            f"rollup refreshed in {seconds:.1f} s"
        )
    times, reports = measure(sites, runs, warmup)
    ok = True
    for mode in MODES:
        small = statistics.median(times[("small", mode)])
        large = statistics.median(times[("large", mode)])
        ratio = large / small
        verdict = ("met" if ratio <= TARGET else "MISSED") if mode == "rollup" else "(baseline)"
        ok = ok and (mode != "rollup" or ratio <= TARGET)
        print(
            f"  {sites[0].database:<10} {mode:<8} {small * 1000:>10.1f} ms "
            f"{large * 1000:>11.1f} ms {ratio:>9.2f}x   {verdict}"
        )
    for site in sites:
        rolled, live = reports[(site.size, "rollup")], reports[(site.size, "live")]
        same = rolled.totals == live.totals and rolled.rows == live.rows
        ok = ok and same
        print(
            f"  {site.size}: {rolled.totals.calls_received:,} calls in the month, "
            f"rollup as of {rolled.as_of:%Y-%m-%d %H:%M} UTC, "
            f"figures {'identical' if same else 'DIFFERENT'} with and without it"
        )
        site.engine.dispose()
    return ok


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7, help="timed reports per mode and size")
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--postgres", action="store_true", help="also run on PostgreSQL")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    args = parser.parse_args()
    print(
        "City report, preset 'month' at 2026-11-20 12:00 Shanghai: Nov 1-19 and today to 11:40"
        " from the rollup (refreshed at 11:50), 11:40-12:00 live;"
    )
    print(f"median of {args.runs} runs. Target: large within {TARGET:.0f}x of small, with rollup.")
    print(f"  {'database':<10} {'mode':<8} {'small (10k)':>13} {'large (1M)':>14} {'ratio':>10}")
    ok = True
    folder = Path(tempfile.mkdtemp(prefix="ivr-stats-scale-", dir="/tmp"))
    sites = [Site("sqlite", size, f"sqlite:///{folder / size}.db") for size in SIZES]
    try:
        ok = run(sites, args.runs, args.warmup) and ok
    finally:
        if not args.keep:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
        else:
            print(f"  SQLite files kept in {folder}")
    if args.postgres:
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        sites = []
        try:
            for size in SIZES:
                name = f"stats_scale_{size}_{uuid.uuid4().hex[:8]}"
                with admin.connect() as db:
                    db.execute(text(f'CREATE DATABASE "{name}"'))
                url = make_url(ADMIN_URL).set(database=name)
                sites.append(Site("postgresql", size, url.render_as_string(hide_password=False)))
            ok = run(sites, args.runs, args.warmup) and ok
        finally:
            for site in sites:
                if site.engine is not None:
                    site.engine.dispose()
                with admin.connect() as db:
                    name = make_url(site.url).database
                    db.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
