"""Console watchers: do open consoles polling for queue changes slow Twilio's webhooks?

    .venv/bin/python benchmarks/console_watchers.py [--db sqlite,postgresql] [--consoles 50]
        [--interval 15] [--rate 4] [--duration 60] [--quiet-wait 120]

For each database: a fresh instance (``ivr db upgrade``, ``ivr demo --no-activity``) served
by a real ``ivr serve --no-worker`` (gunicorn gthread, 2 processes x 4 threads, the threads
that answer Twilio), and ``--consoles`` people signed in through the sign-in form: workers
at the stations the calls go to, district admins and city admins (4:1 workers to admins).
Each console does what ``static/queue_live.js`` does: it loads its queue page, then asks
``GET /console/queue/changes`` with the page's ETag every interval (random phase); on a 200
it fetches its queue page again, as the page swaps in the fresh list.

Three runs of ``--duration`` s each, with the same steady webhook load — ``--rate`` calls a
second (open loop), each signed like Twilio's: /twilio/voice, key presses towards the voicemail
<Record> and, for every ``--voicemail-every``-th call (20), the <Record> action and
recording callback (opening a ticket, so consoles do see changes: 0.2 a second at 4 calls
a second, a busy hour for the whole city); the other calls press the language key and
hang up before choosing a need (no ticket); the call status callback last:

1. no console open;
2. ``--consoles`` polling at the real interval (15 s);
3. the same consoles at a tenth of it (1.5 s): ten times the polls, to show the headroom;

then the consoles alone at a tenth of the interval (nothing changes: every poll a 304), for
what a poll costs the server in CPU.

It prints, per database and run, webhook p50/p99/max per step and overall, the polls
(per second, 304s, 200s, page fetches, their p50/p99) and the CPU the server (and its
PostgreSQL backends) used; then webhook p50/p99 of every run side by side. Each run first
waits (``--quiet-wait``) for other processes to leave the CPU alone and says how much CPU
they used meanwhile. Exits 1 when a webhook or poll failed.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.surge import (  # noqa: E402 - after the path is set
    BIN,
    QUIET,
    Hit,
    MediaHost,
    Resident,
    Signer,
    Speech,
    SurgeError,
    call_form,
    database_url,
    descendants,
    free_port,
    healthy,
    hotline_numbers,
    instance_env,
    ivr,
    local_path,
    make_residents,
    post,
    process_table,
    read_engine,
    stop_group,
    wait_for_quiet,
)

PASSWORD = "console-watchers-1"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
PAGE_ETAG = re.compile(r'data-etag="([0-9a-f]+)"')
STEPS = ("voice", "gather", "record", "recording", "status")
# A recording the webhooks only note (no worker runs): a few bytes stand in for speech.
SILENCE = Speech(b"RIFF" + b"\0" * 40, 4.0)


# --- the instance -------------------------------------------------------------------------


@dataclass
class Instance:
    database: str
    url: str
    env: dict[str, str]
    base: str
    server_pid: int
    hotlines: list[str]
    station_codes: list[str]  # in the order of ``hotlines``
    media: MediaHost


def station_codes(url: str) -> list[str]:
    """Each station's code, in the order ``hotline_numbers`` lists their numbers."""
    engine = read_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT s.id, s.code FROM stations s "
                "WHERE EXISTS (SELECT 1 FROM hotline_numbers h WHERE h.station_id = s.id)"
            )
        )
        codes = [code for _, code in sorted(rows)]
    engine.dispose()
    return codes


def add_console_users(url: str, consoles: int, codes: list[str]) -> list[str]:
    """``consoles`` users: 4 in 5 workers at the first stations, the rest district and city
    admins. Returns their usernames."""
    from sqlalchemy.orm import Session

    from ivr.stations.users import create_user
    from models import Role, Station
    from models.db import make_engine

    engine = make_engine(url)
    names = []
    with Session(engine) as session:
        districts = {
            s.code: s.district.code for s in session.query(Station).filter(Station.code.in_(codes))
        }
        admins = consoles // 5
        for index in range(consoles):
            name = f"watcher-{index:03d}"
            if index < consoles - admins:
                code = codes[index % len(codes)]
                create_user(session, name, PASSWORD, Role.WORKER, station_code=code)
            elif index % 4:
                district = districts[codes[index % len(codes)]]
                create_user(session, name, PASSWORD, Role.DISTRICT_ADMIN, district_code=district)
            else:
                create_user(session, name, PASSWORD, Role.CITY_ADMIN)
            names.append(name)
        session.commit()
    engine.dispose()
    return names


@contextmanager
def serving(database: str, folder: Path, log_path: Path) -> Iterator[Instance]:
    """A fresh demo instance served by ``ivr serve --no-worker``; stopped on the way out."""
    with database_url(database, folder) as url:
        media = MediaHost()
        try:
            env = instance_env(folder, url, media.host, 1)
            # Serve the code beside this script, not whatever an editable install points at.
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
            ivr(env, "db", "upgrade")
            ivr(env, "demo", "--no-activity")
            port = free_port()
            base = f"http://127.0.0.1:{port}"
            command = [str(BIN / "ivr"), "serve", "--no-worker", "--host", "127.0.0.1"]
            command += ["--port", str(port)]
            with open(log_path, "wb") as log:
                server = subprocess.Popen(
                    command,
                    cwd=folder,
                    env=env,
                    stdout=log,
                    stderr=log,
                    start_new_session=True,
                )
            marker = f"IVR_INSTANCE_DIR={env['IVR_INSTANCE_DIR']}".encode()
            try:
                deadline = time.monotonic() + 90
                while server.poll() is None and time.monotonic() < deadline:
                    if healthy(base):
                        break
                    time.sleep(0.3)
                else:
                    tail = log_path.read_text(errors="replace")[-3000:]
                    raise SurgeError(f"ivr serve did not become ready:\n{tail}")
                yield Instance(
                    database,
                    url,
                    env,
                    base,
                    server.pid,
                    hotline_numbers(url),
                    station_codes(url),
                    media,
                )
            finally:
                stop_group(server, marker)
        finally:
            media.close()


# --- a console ----------------------------------------------------------------------------


@dataclass
class Poll:
    status: int | None
    ms: float
    page_ms: float | None = None  # the queue page fetched after a 200
    error: str = ""


class Console:
    """One signed-in person with the queue open, polling as queue_live.js does.

    Cookies are kept by hand: the instance's public URL is https, so its session cookie is
    marked Secure, and a cookie jar would not send it to the loopback http server.
    """

    def __init__(self, base: str, username: str) -> None:
        self.base, self.username = base, username
        self.cookies: dict[str, str] = {}
        self.agent = f"console-watchers/{username}"
        self.etag = ""
        self.page = ""  # the queue page last loaded
        self.polls: list[Poll] = []

    def request(
        self, path: str, form: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> tuple[int, bytes, dict[str, str]]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        request = urllib.request.Request(
            self.base + path, data=data, method="POST" if form else "GET"
        )
        request.add_header("User-Agent", self.agent)
        if self.cookies:
            request.add_header("Cookie", "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        opener = urllib.request.build_opener(NoRedirect)
        try:
            with opener.open(request, timeout=30) as reply:
                status, body, got = reply.status, reply.read(), reply.headers
        except urllib.error.HTTPError as exc:
            status, body, got = exc.code, exc.read(), exc.headers
        for cookie in got.get_all("Set-Cookie") or []:
            name, _, rest = cookie.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return status, body, dict(got.items())

    def sign_in(self) -> None:
        status, body, _ = self.request("/console/login")
        token = TOKEN.search(body.decode())
        if status != 200 or token is None:
            raise SurgeError(f"{self.username}: the sign-in page answered {status}")
        form = {"username": self.username, "password": PASSWORD, "csrf_token": token.group(1)}
        status, body, _ = self.request("/console/login", form)
        if status != 302:
            raise SurgeError(f"{self.username}: sign-in answered {status}")
        self.load_queue()

    def load_queue(self) -> float:
        started = time.perf_counter()
        status, body, _ = self.request("/console/")
        self.page = body.decode(errors="replace")
        found = PAGE_ETAG.search(self.page)
        if status != 200 or found is None:
            raise SurgeError(f"{self.username}: the queue page answered {status}")
        self.etag = found.group(1)
        return (time.perf_counter() - started) * 1000

    def poll(self) -> Poll:
        started = time.perf_counter()
        try:
            status, _, headers = self.request(
                "/console/queue/changes", headers={"If-None-Match": f'"{self.etag}"'}
            )
        except OSError as exc:
            return self._keep(Poll(None, (time.perf_counter() - started) * 1000, error=str(exc)))
        ms = (time.perf_counter() - started) * 1000
        if status == 304:
            return self._keep(Poll(304, ms))
        if status != 200:
            return self._keep(Poll(status, ms, error=f"HTTP {status}"))
        try:
            page_ms = self.load_queue()
        except (OSError, SurgeError) as exc:
            return self._keep(Poll(200, ms, error=f"queue page: {exc}"))
        self.etag = headers.get("ETag", "").strip('"')
        return self._keep(Poll(200, ms, page_ms))

    def _keep(self, poll: Poll) -> Poll:
        self.polls.append(poll)
        return poll


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def watch(console: Console, interval: float, until: float, rng: random.Random) -> None:
    """Poll every ``interval`` s (first after a random phase) until ``until``."""
    next_at = time.monotonic() + rng.uniform(0, interval)
    while True:
        delay = next_at - time.monotonic()
        if next_at >= until:
            return
        if delay > 0:
            time.sleep(delay)
        console.poll()
        next_at += interval


# --- a resident's call --------------------------------------------------------------------


def call(resident: Resident, base: str, signer: Signer, voicemail: bool) -> None:
    """With ``voicemail``: /twilio/voice, key 1 until the menu offers a <Record>, the
    <Record> action and recording callback (a ticket opens). Without: /twilio/voice, one key
    (the language) and a hang-up before a need is chosen (no ticket). The status callback
    last. Never raises: a problem is kept on the resident."""
    try:
        form = call_form(resident, "ringing")
        answer = post(resident, "voice", base, signer, "/twilio/voice", form)
        record = None
        for _press in range(4 if voicemail else 1):
            gather = answer.find(".//Gather") if answer is not None else None
            if gather is None:
                break
            form = call_form(resident, "in-progress") | {"Digits": "1", "FinishedOnKey": ""}
            path = local_path(gather.get("action", ""))
            answer = post(resident, "gather", base, signer, path, form)
            record = answer.find(".//Record") if answer is not None else None
            if record is not None:
                break
        if voicemail and record is None:
            resident.problem = "no <Record> reached"
        elif voicemail and record is not None:
            time.sleep(resident.think)  # the resident speaks
            recording = {
                "RecordingSid": resident.recording_sid,
                "RecordingUrl": resident.recording_url,
                "RecordingDuration": str(resident.duration),
            }
            form = call_form(resident, "in-progress") | recording | {"Digits": "hangup"}
            post(resident, "record", base, signer, local_path(record.get("action", "")), form)
            form = call_form(resident, "completed") | recording | {"RecordingStatus": "completed"}
            callback = local_path(record.get("recordingStatusCallback", ""))
            post(resident, "recording", base, signer, callback, form)
            resident.recorded = True
    except Exception as exc:  # noqa: BLE001 - reported, never lets a thread die silently
        resident.problem = f"{type(exc).__name__}: {exc}"
    finally:
        form = call_form(resident, "completed") | {"CallDuration": str(resident.duration + 10)}
        post(resident, "status", base, signer, "/twilio/status", form)


# --- one run ------------------------------------------------------------------------------


@dataclass
class Run:
    label: str
    database: str
    consoles: int
    interval: float | None
    seconds: float
    hits: list[Hit] = field(repr=False)
    polls: list[Poll] = field(repr=False)
    server_cores: float
    other_cores: float
    server_cpu: float = 0.0  # seconds of CPU the server (and its PostgreSQL backends) used

    def percentile(self, q: float, step: str | None = None) -> float:
        values = sorted(h.ms for h in self.hits if step is None or h.step == step)
        return nearest_rank(values, q)

    @property
    def webhook_errors(self) -> list[Hit]:
        return [h for h in self.hits if h.failed]

    @property
    def poll_errors(self) -> list[Poll]:
        return [p for p in self.polls if p.error]


def nearest_rank(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))]


def cpu_seconds(root: int, database: str | None) -> float:
    """CPU used so far by ``ivr serve`` and everything below it, and by PostgreSQL's
    backends serving ``database``."""
    table = process_table()
    mine = descendants(root, table)
    name = f" {database} " if database else None
    return sum(
        p.cpu for pid, p in table.items() if pid in mine or (name is not None and name in p.cmdline)
    )


def busy_seconds() -> float:
    from benchmarks.surge import busy_cpu_seconds, own_cpu_seconds

    return busy_cpu_seconds() - own_cpu_seconds()


def run_once(
    instance: Instance,
    label: str,
    consoles: list[Console],
    interval: float | None,
    *,
    rate: float,
    duration: float,
    seed: str,
    voicemail_every: int = 20,
    quiet_wait: float = 0.0,
    log: Callable[[str], None] = print,
) -> Run:
    """``rate`` calls a second for ``duration`` s (every ``voicemail_every``-th leaving a
    voicemail; ``rate`` 0: none), while ``consoles`` poll every ``interval``."""
    rng = random.Random(f"{seed}-{label}")
    if quiet_wait:
        wait_for_quiet(quiet_wait, log)
    calls = int(rate * duration)
    residents = make_residents(
        calls, instance.hotlines, [SILENCE], instance.media, (0.2, 0.5), 0.0, rng
    )
    signer = Signer(instance.env["TWILIO_AUTH_TOKEN"])
    pg_name = instance.url.rsplit("/", 1)[1] if instance.database != "sqlite" else None
    for console in consoles:
        console.polls = []
    log(f"[{instance.database}] {label}: {calls} calls over {duration:.0f} s")
    cpu_before, busy_before = cpu_seconds(instance.server_pid, pg_name), busy_seconds()
    started = time.monotonic()
    until = started + duration
    watchers = [
        threading.Thread(
            target=watch,
            args=(c, interval, until, random.Random(f"{seed}-{c.username}")),
            daemon=True,
        )
        for c in consoles
        if interval
    ]
    for thread in watchers:
        thread.start()
    with ThreadPoolExecutor(max_workers=64) as pool:
        for index, resident in enumerate(residents):
            delay = started + index / rate - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            voicemail = index % voicemail_every == 0
            pool.submit(call, resident, instance.base, signer, voicemail)
    for thread in watchers:
        thread.join(timeout=duration + 60)
    wall = time.monotonic() - started
    server = cpu_seconds(instance.server_pid, pg_name) - cpu_before
    other = max(0.0, busy_seconds() - busy_before - server) / wall
    return Run(
        label=label,
        database=instance.database,
        consoles=len(consoles) if interval else 0,
        interval=interval,
        seconds=wall,
        hits=[h for r in residents for h in r.hits],
        polls=[p for c in consoles for p in c.polls],
        server_cores=server / wall,
        other_cores=other,
        server_cpu=server,
    )


def sign_in_all(instance: Instance, count: int) -> list[Console]:
    names = add_console_users(instance.url, count, instance.station_codes)
    consoles = [Console(instance.base, name) for name in names]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(Console.sign_in, consoles))
    return consoles


# --- the report ---------------------------------------------------------------------------


def report(run: Run) -> None:
    polls = run.polls
    fetched = [p.page_ms for p in polls if p.page_ms is not None]
    print(
        f"\n{run.database} · {run.label}: {len(run.hits)} webhooks in {run.seconds:.0f} s;"
        f" server {run.server_cores:.2f} cores, other processes {run.other_cores:.2f} cores"
    )
    print(f"  {'webhook':<10}{'n':>6}{'p50 ms':>9}{'p99 ms':>9}{'max ms':>9}{'errors':>8}")
    for step in (*STEPS, None):
        hits = [h for h in run.hits if step is None or h.step == step]
        if hits:
            print(
                f"  {step or 'all':<10}{len(hits):>6}{run.percentile(50, step):>9.0f}"
                f"{run.percentile(99, step):>9.0f}{max(h.ms for h in hits):>9.0f}"
                f"{sum(h.failed for h in hits):>8}"
            )
    if polls:
        answered = [p.ms for p in polls]
        print(
            f"  polls {len(polls)} ({len(polls) / run.seconds:.1f}/s): "
            f"{sum(p.status == 304 for p in polls)} x 304, "
            f"{sum(p.status == 200 for p in polls)} x 200 (+ queue page), "
            f"{len(run.poll_errors)} errors; poll p50/p99 "
            f"{nearest_rank(answered, 50):.0f}/{nearest_rank(answered, 99):.0f} ms"
            + (
                f"; queue page p50/p99 {nearest_rank(fetched, 50):.0f}/"
                f"{nearest_rank(fetched, 99):.0f} ms"
                if fetched
                else ""
            )
        )
    requests = len(run.hits) + len(polls) + len(fetched)
    if requests:
        print(
            f"  server CPU {run.server_cpu:.1f} s: {1000 * run.server_cpu / requests:.1f} ms a "
            f"request ({len(run.hits)} webhooks, {len(polls)} polls, {len(fetched)} queue pages)"
        )
    for hit in run.webhook_errors[:3]:
        print(f"  webhook error: {hit.step} {hit.path.split('?')[0]}: {hit.error}")
    for poll in run.poll_errors[:3]:
        print(f"  poll error: {poll.error}")
    if run.other_cores >= QUIET:
        print(f"  warning: other processes used {run.other_cores:.2f} cores; figures disturbed")


def side_by_side(runs: list[Run]) -> None:
    databases = list(dict.fromkeys(r.database for r in runs))
    labels = list(dict.fromkeys(r.label for r in runs if r.hits))
    print("\nwebhook latency p50 / p99 ms (all steps), server cores; by database")
    print(f"{'':<30}" + "".join(f"{d:>28}" for d in databases))
    for label in labels:
        cells = []
        for database in databases:
            run = next((r for r in runs if r.label == label and r.database == database), None)
            cells.append(
                f"{run.percentile(50):.0f} / {run.percentile(99):.0f} ms, {run.server_cores:.2f}"
                if run
                else "-"
            )
        print(f"{label:<30}" + "".join(f"{c:>28}" for c in cells))
    print("server CPU per poll answered 304 (consoles only, no calls), ms")
    cells = []
    for database in databases:
        run = next((r for r in runs if r.database == database and not r.hits and r.polls), None)
        cells.append(f"{1000 * run.server_cpu / len(run.polls):.1f}" if run else "-")
    print(f"{'':<30}" + "".join(f"{c:>28}" for c in cells))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--consoles", type=int, default=50)
    parser.add_argument("--interval", type=float, default=15.0, help="the page's poll, seconds")
    parser.add_argument("--rate", type=float, default=4.0, help="calls a second (open loop)")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds per run")
    parser.add_argument(
        "--voicemail-every", type=int, default=20, help="every Nth call leaves a voicemail"
    )
    parser.add_argument("--quiet-wait", type=float, default=120.0)
    parser.add_argument("--seed", default="watchers")
    args = parser.parse_args()
    args.db = [d.strip() for d in args.db.split(",") if d.strip()]
    if set(args.db) - {"sqlite", "postgresql"}:
        parser.error("--db takes sqlite, postgresql or both")
    return args


def run_database(database: str, args: argparse.Namespace) -> list[Run]:
    with tempfile.TemporaryDirectory(prefix=f"ivr-watchers-{database}-") as tmp:
        folder = Path(tmp)
        (folder / "instance").mkdir()
        print(f"[{database}] ivr db upgrade; ivr demo --no-activity; ivr serve --no-worker")
        with serving(database, folder, folder / "serve.log") as instance:
            consoles = sign_in_all(instance, args.consoles)
            print(f"[{database}] {len(consoles)} consoles signed in, queue pages loaded")
            scenarios = [
                ("no console", None),
                (f"{args.consoles} consoles every {args.interval:g} s", args.interval),
                (f"{args.consoles} consoles every {args.interval / 10:g} s", args.interval / 10),
            ]
            runs = []
            for label, interval in scenarios:
                run = run_once(
                    instance,
                    label,
                    consoles,
                    interval,
                    rate=args.rate,
                    duration=args.duration,
                    seed=args.seed,
                    voicemail_every=args.voicemail_every,
                    quiet_wait=args.quiet_wait,
                )
                report(run)
                runs.append(run)
            # What a poll costs the server: the consoles alone, nothing changing (all 304).
            run = run_once(
                instance,
                "consoles only",
                consoles,
                args.interval / 10,
                rate=0,
                duration=min(30.0, args.duration),
                seed=args.seed,
                quiet_wait=args.quiet_wait,
            )
            report(run)
            return [*runs, run]


def give_up(signum: int, _frame: object) -> None:
    """SIGALRM (too long) or SIGTERM: raise, so that the finally blocks clean up."""
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGALRM, give_up)
    signal.signal(signal.SIGTERM, give_up)
    signal.alarm(int(len(args.db) * (600 + 4 * (args.duration + args.quiet_wait + 60))))
    print(
        f"cores: {os.cpu_count()}; {args.rate:g} calls/s for {args.duration:g} s per run; "
        f"{args.consoles} consoles polling every {args.interval:g} s, then every "
        f"{args.interval / 10:g} s; every {args.voicemail_every} calls one voicemail; databases: "
        f"{', '.join(args.db)}"
    )
    runs = [run for database in args.db for run in run_database(database, args)]
    side_by_side(runs)
    failed = any(r.webhook_errors or r.poll_errors for r in runs)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
