"""Outreach campaigns: a 10,000-person call list for a district, built and shared out.

    .venv/bin/python benchmarks/campaign_build.py [--people 10000] [--rounds 5] [--database-url URL]

Makes a throw-away instance (SQLite in a temporary folder unless ``--database-url`` names
an empty database), migrates it, and adds one district of 20 stations with two workers
each and a registry of residents: ``--people`` who are 独居老人 or 低保 and not called in
30 days, as many again who are neither, and a tenth more who are flagged but were called
last week. Then, round by round, times:

- ``build``: ``ivr.campaigns.build.from_registry`` for the district admin (flags 独居老人
  and 低保, every station, not contacted for 30 days) and a commit: one INSERT … SELECT;
- ``assign``: ``assign_round_robin`` to all 40 workers (each resident to a worker of their
  own station) and a commit: one UPDATE;
- baseline ``list``: one SELECT of the same residents' ids (the same WHERE), fetched.

Prints the median seconds of each and the ratio of build + assign to the baseline.
Target: a 10,000-person campaign built and assigned well within 2 s.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from sqlalchemy import exists, insert, select
from sqlalchemy.orm import Session

from ivr import create_app
from ivr.campaigns.assign import assign_round_robin
from ivr.campaigns.build import Criteria, from_registry
from ivr.db import database, get_session
from models import (
    Call,
    Caller,
    CallerVulnerability,
    District,
    HotlineNumber,
    Role,
    Station,
    User,
    Vulnerability,
    utcnow,
)
from models.migrate import upgrade

TARGET_SECONDS = 2.0
STATIONS = 20
WORKERS_PER_STATION = 2
FLAGS = (Vulnerability.LONE_ELDERLY, Vulnerability.DIBAO)


@dataclass
class Figures:
    people: int
    build: float
    assign: float
    listing: float
    entries: int
    assigned: int

    @property
    def ratio(self) -> float:
        return (self.build + self.assign) / self.listing if self.listing else float("inf")


def make_district(session: Session, people: int) -> tuple[User, list[int]]:
    """The district, its stations, admin and workers, and its residents; commits."""
    district = District(code="bench", name_zh="测试区", name_en="")
    session.add(district)
    stations = []
    for n in range(STATIONS):
        station = Station(code=f"bench-{n}", name_zh=f"测试街{n}", district=district)
        station.hotline_numbers = [HotlineNumber(number=f"+86209{n:07d}")]
        stations.append(station)
    session.add_all(stations)
    session.flush()
    admin = User(
        username="bench-admin", password_hash="!", role=Role.DISTRICT_ADMIN, district_id=district.id
    )
    workers = [
        User(username=f"w{s.id}-{k}", password_hash="!", role=Role.WORKER, station_id=s.id)
        for s in stations
        for k in range(WORKERS_PER_STATION)
    ]
    session.add_all([admin, *workers])
    now = utcnow()
    # people on the list, as many unflagged, a tenth flagged but called last week
    plan = [(True, False)] * people + [(False, False)] * people + [(True, True)] * (people // 10)
    rows = [
        {
            "phone_number": f"+86138{i:08d}",
            "name": "",
            "notes": "",
            "home_station_id": stations[i % STATIONS].id,
            "created_at": now,
            "updated_at": now,
        }
        for i in range(len(plan))
    ]
    session.execute(insert(Caller), rows)
    ids = list(session.scalars(select(Caller.id).order_by(Caller.id)))
    flags = [
        {"caller_id": cid, "flag": FLAGS[i % 2]}
        for i, (cid, (flagged, _)) in enumerate(zip(ids, plan, strict=True))
        if flagged
    ]
    session.execute(insert(CallerVulnerability), flags)
    calls = [
        {
            "call_sid": f"CA{cid:032d}",
            "caller_id": cid,
            "station_id": stations[i % STATIONS].id,
            "from_number": f"+86138{i:08d}",
            "to_number": "+862090000000",
            "started_at": now - timedelta(days=7),
            "status": "completed",
        }
        for i, (cid, (_, called)) in enumerate(zip(ids, plan, strict=True))
        if called
    ]
    if calls:
        session.execute(insert(Call), calls)
    session.commit()
    return admin, [w.id for w in workers]


def listing_query(station_ids: list[int], now):  # type: ignore[no-untyped-def]
    """The baseline: the same people, listed by one SELECT."""
    return select(Caller.id).where(
        Caller.home_station_id.in_(station_ids),
        Caller.erased_at.is_(None),
        exists().where(
            CallerVulnerability.caller_id == Caller.id, CallerVulnerability.flag.in_(FLAGS)
        ),
        ~exists().where(Call.caller_id == Caller.id, Call.started_at >= now - timedelta(days=30)),
    )


def measure(session: Session, admin: User, worker_ids: list[int], rounds: int) -> Figures:
    station_ids = list(
        session.scalars(select(Station.id).where(Station.district_id == admin.district_id))
    )
    times: dict[str, list[float]] = {"build": [], "assign": [], "list": []}
    entries = assigned = 0
    for round_no in range(rounds):
        now = utcnow()
        started = time.perf_counter()
        listed = session.scalars(listing_query(station_ids, now)).all()
        session.commit()
        times["list"].append(time.perf_counter() - started)
        started = time.perf_counter()
        built = from_registry(
            session, admin, f"bench {round_no}", Criteria((), FLAGS, not_contacted_days=30), now
        )
        session.commit()
        times["build"].append(time.perf_counter() - started)
        started = time.perf_counter()
        assigned = assign_round_robin(session, admin, built.campaign, worker_ids)
        session.commit()
        times["assign"].append(time.perf_counter() - started)
        entries = built.entries
        if entries != len(listed) or assigned != entries:
            raise SystemExit(f"listed {len(listed)}, built {entries}, assigned {assigned}")
    med = {k: statistics.median(v) for k, v in times.items()}
    return Figures(len(listed), med["build"], med["assign"], med["list"], entries, assigned)


def report(figures: Figures, backend: str) -> int:
    total = figures.build + figures.assign
    print(f"\n{backend}: {figures.people:,} residents on the list (median of the rounds)")
    print(f"{'step':24} {'seconds':>9}")
    print(f"{'build (INSERT … SELECT)':24} {figures.build:>9.3f}")
    print(f"{'assign (one UPDATE)':24} {figures.assign:>9.3f}")
    print(f"{'build + assign':24} {total:>9.3f}")
    print(f"{'baseline: one SELECT':24} {figures.listing:>9.3f}")
    print(f"ratio (build + assign) / SELECT: {figures.ratio:.1f}x")
    verdict = "met" if total <= TARGET_SECONDS else "MISSED"
    print(f"target: within {TARGET_SECONDS:.0f} s: {verdict}")
    return 0 if total <= TARGET_SECONDS else 1


def run(people: int, rounds: int, database_url: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="ivr-campaign-bench-") as tmp:
        env = {
            "IVR_INSTANCE_DIR": str(Path(tmp) / "instance"),
            "IVR_SECRET_KEY": "bench",
            "IVR_DATABASE_URL": database_url or f"sqlite:///{Path(tmp) / 'ivr.db'}",
        }
        app = create_app(env)
        with app.app_context(), app.test_request_context():
            upgrade(database().engine)
            session = get_session()
            print(f"making a district of {STATIONS} stations and its registry…", flush=True)
            admin, workers = make_district(session, people)
            figures = measure(session, admin, workers, rounds)
            return report(figures, database().engine.dialect.name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    return run(args.people, args.rounds, args.database_url)


if __name__ == "__main__":
    raise SystemExit(main())
