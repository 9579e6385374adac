"""Webhook load: the real Twilio webhooks beside a bare endpoint, on one gunicorn server.

    .venv/bin/python benchmarks/webhook_load.py [--db sqlite,postgresql] [--duration 10]

Needs wrk (``apt-get install -y wrk``) and, for postgresql, a server at 127.0.0.1:5432 with
trust auth and a database ``test``. For each database: a fresh ``ivr demo`` instance (203
stations), gunicorn with 2 sync workers serving ``benchmarks.bench_wsgi:app``, and four wrk
runs of equal length (50 connections, 2 threads) over pre-generated, Twilio-signed
requests: ``bare`` (constant TwiML from the same server), ``voice`` (POST /twilio/voice,
each a new call, round-robin over the stations), ``step`` (key 1 in the main menu of calls
made by voice), ``bare`` again. Prints requests/s, p50/p99 latency, errors (socket errors
and non-200 answers; a 403 aborts: the signing is wrong), webhook exceptions the app logged
(it answers them 200 with an apology), p99 over bare p99, and CPU time per request of
gunicorn's processes and, on PostgreSQL, of the server's backends for the database.
Target (issue "a lean call step"): voice and step at 800 requests/s or more each, p99 within
5x bare, 0 errors, every answer stored.
"""

import argparse
import csv
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from string import Template
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree

import profiling  # the script's own folder is first on sys.path
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent  # the virtualenv's bin/, where `ivr` lives
if not (BIN / "ivr").exists():
    BIN = ROOT / ".venv" / "bin"
PUBLIC_URL = "https://hotline.example.org"  # what Twilio signs; deliberately not local
PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
ACCOUNT_SID = "AC" + "0" * 32
WRK_THREADS = 2
# The targets: each webhook scenario at this rate or more, its p99 within this many times
# the bare endpoint's, no errors, and every answered request in the database.
RPS_TARGET, P99_TARGET = 800, 5.0
STEP_PATH = "/twilio/gather?m={ref}&n=main&l=zh"

# Each thread takes every WRK_THREADS-th line of the request file (path, signature,
# idempotency token, form body, tab-separated) and cycles through them; done() prints one
# BENCH line with the figures, and whether a thread ran out of requests and repeated some.
LUA = Template("""
local threads = {}
function setup(thread) thread:set("id", #threads); table.insert(threads, thread) end
function init(args)
  reqs, sent, bad, forbidden, size, n = {}, 0, 0, 0, 0, 0
  for line in io.lines("$data") do
    if n % $threads == id then
      local path, sig, token, body = line:match("^(.-)\\t(.-)\\t(.-)\\t(.*)$$")
      reqs[#reqs + 1] = wrk.format("POST", path, {["X-Twilio-Signature"] = sig,
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["I-Twilio-Idempotency-Token"] = token}, body)
    end
    n = n + 1
  end
  size = #reqs
end
function request() sent = sent + 1; return reqs[(sent - 1) % size + 1] end
function response(status, headers, body)
  if status ~= 200 then bad = bad + 1 end
  if status == 403 then forbidden = forbidden + 1 end
end
function done(summary, latency, requests)
  local bad, forbidden, wrapped, e = 0, 0, 0, summary.errors
  for _, t in ipairs(threads) do
    bad, forbidden = bad + t:get("bad"), forbidden + t:get("forbidden")
    if t:get("sent") > t:get("size") then wrapped = 1 end
  end
  io.write(string.format("BENCH requests=%d duration_us=%d p50_us=%d p99_us=%d socket=%d "
    .. "non200=%d forbidden=%d wrapped=%d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout,
    bad, forbidden, wrapped))
end
""")


@dataclass(frozen=True)
class Call:
    sid: str
    caller: str
    hotline: str


@dataclass
class Result:
    scenario: str
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int  # socket errors + non-200 answers
    logged: int  # webhook exceptions in the server log (answered 200, with an apology)
    answers: int  # responses of any status
    ok: int  # responses 200
    wrapped: bool  # the run repeated requests (for voice: CallSids)
    cpu_ms: float = 0.0  # server CPU time per answer (all workers and the master)
    db_cpu_ms: float | None = None  # PostgreSQL's backends' CPU time per answer
    stored: int | None = None  # calls (voice) or key presses (step) in the database after


class Signer:
    """Signs as Twilio does: HMAC over the public URL + path + query and the form fields."""

    def __init__(self, token: str) -> None:
        self.validator = RequestValidator(token)

    def signature(self, path: str, form: dict[str, str]) -> str:
        return self.validator.compute_signature(PUBLIC_URL + path, form)

    def line(self, path: str, form: dict[str, str]) -> str:
        fields = [path, self.signature(path, form), uuid.uuid4().hex, urlencode(form)]
        return "\t".join(fields) + "\n"

    def request(self, base: str, path: str, form: dict[str, str]) -> urllib.request.Request:
        headers = {"X-Twilio-Signature": self.signature(path, form)}
        return urllib.request.Request(base + path, urlencode(form).encode(), headers)


def voice_form(call: Call) -> dict[str, str]:
    numbers = {"From": call.caller, "Caller": call.caller, "To": call.hotline}
    countries = dict.fromkeys(["FromCountry", "CallerCountry", "ToCountry"], "CN")
    fixed = {"AccountSid": ACCOUNT_SID, "ApiVersion": "2010-04-01", "Direction": "inbound"}
    call_fields = {"CallSid": call.sid, "CallStatus": "ringing", "Called": call.hotline}
    return fixed | call_fields | numbers | countries


def step_form(call: Call) -> dict[str, str]:
    keys = {"CallStatus": "in-progress", "Digits": "1", "FinishedOnKey": "", "msg": "Gather End"}
    return voice_form(call) | keys


def make_calls(count: int, hotlines: list[str], rng: random.Random) -> list[Call]:
    """Distinct calls (CallSid, a random mobile caller), round-robin over the hotlines."""
    return [
        Call("CA" + rng.randbytes(16).hex(), f"+86139{rng.randrange(10**8):08d}", number)
        for number in (hotlines[i % len(hotlines)] for i in range(count))
    ]


@contextmanager
def database_url(kind: str, folder: Path) -> Iterator[str]:
    """SQLite in the instance folder, or a throw-away PostgreSQL database, dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'instance' / 'ivr.db'}"
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ivr_bench_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def query(url: str, sql: str) -> list:
    engine = create_engine(url, poolclass=NullPool)
    with engine.connect() as connection:
        return list(connection.scalars(text(sql)))


def instance_env(folder: Path, url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IVR_", "TWILIO_"))}
    return env | {
        "IVR_INSTANCE_DIR": str(folder / "instance"),
        "IVR_DATABASE_URL": url,
        "IVR_PUBLIC_URL": PUBLIC_URL,
        "IVR_SECRET_KEY": uuid.uuid4().hex,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": uuid.uuid4().hex,
        # Nothing leaves this machine: a REST call would be refused on loopback.
        "IVR_TWILIO_API_URL": "http://127.0.0.1:9",
        "IVR_DELETE_RECORDINGS_AFTER_FETCH": "0",
    }


def ivr(env: dict[str, str], *args: str) -> str:
    cwd = Path(env["IVR_INSTANCE_DIR"]).parent  # no stray .env file
    done = subprocess.run(
        [BIN / "ivr", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=300
    )
    if done.returncode != 0:
        sys.exit(f"ivr {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def hotline_numbers(env: dict[str, str]) -> list[str]:
    """The first hotline number of every station, from ``ivr stations export``."""
    rows = csv.DictReader(ivr(env, "stations", "export").splitlines())
    return [row["hotline_numbers"].split(";")[0] for row in rows]


@contextmanager
def gunicorn(
    env: dict[str, str], log_path: Path, args: argparse.Namespace
) -> Iterator[tuple[str, int]]:
    """``benchmarks.bench_wsgi:app`` on a free 127.0.0.1 port, until /healthz answers."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        base = f"http://127.0.0.1:{probe.getsockname()[1]}"
    command = [str(BIN / "python"), "-m", "gunicorn", "benchmarks.bench_wsgi:app"]
    command += ["--chdir", str(ROOT), "--bind", base.removeprefix("http://")]
    command += ["--workers", str(args.workers), "--worker-class", args.worker_class]
    command += ["--threads", str(args.threads), "--timeout", "60"]
    with open(log_path, "wb") as log:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while not healthy(base) and server.poll() is None and time.monotonic() < deadline:
            time.sleep(0.3)
        if not healthy(base):
            sys.exit(f"gunicorn is not healthy:\n{log_path.read_text()[-3000:]}")
        yield base, server.pid
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=15)


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as reply:
            return reply.status == 200
    except OSError:
        return False


def post(request: urllib.request.Request) -> ElementTree.Element:
    with urllib.request.urlopen(request, timeout=10) as reply:
        return ElementTree.fromstring(reply.read())


def menu_refs(base: str, signer: Signer, hotlines: list[str]) -> dict[str, str]:
    """One real call per station: the menu reference (``m``) its Gather action carries.

    Each also makes the step the load repeats, which must end in a voicemail <Record>.
    """
    refs = {}
    for call in make_calls(len(hotlines), hotlines, random.Random(1)):
        gather = post(signer.request(base, "/twilio/voice", voice_form(call))).find("Gather")
        action = gather.get("action", "") if gather is not None else ""
        if not action.startswith(PUBLIC_URL + "/twilio/gather?"):
            sys.exit(f"/twilio/voice for {call.hotline}: no Gather action in the answer")
        refs[call.hotline] = ref = parse_qs(urlsplit(action).query)["m"][0]
        step = signer.request(base, STEP_PATH.format(ref=ref), step_form(call))
        if post(step).find("Record") is None:
            sys.exit(f"menu step for {call.hotline}: no Record in the answer")
    return refs


def run_wrk(
    scenario: str,
    lines: list[str],
    base: str,
    folder: Path,
    args: argparse.Namespace,
    server: int,
    database: str | None = None,
) -> Result:
    """One wrk run over ``lines``; the server log tells how many webhooks raised.
    ``database``: the PostgreSQL database's name, whose backends' CPU time is read too."""
    print(f"  {scenario}: {len(lines)} requests, {args.duration} s", flush=True)
    data, script, log_path = (folder / name for name in ("load.tsv", "load.lua", "gunicorn.log"))
    data.write_text("".join(lines))
    script.write_text(LUA.substitute(data=data, threads=WRK_THREADS))
    log_start = log_path.stat().st_size
    command = ["wrk", "--latency", "-t", str(WRK_THREADS), "-c", str(args.connections)]
    command += ["-d", f"{args.duration}s", "--timeout", "30s", "-s", str(script), base]
    profile = args.profile and scenario != "bare"
    collapsed = folder / f"profile-{scenario}.txt"
    cpu_before = server_cpu_seconds(server)
    db_before = backends_cpu_seconds(database) if database else 0.0
    with profiling.sampled(server, collapsed, args.duration) if profile else nullcontext():
        done = subprocess.run(command, capture_output=True, text=True, timeout=args.duration + 120)
    cpu = server_cpu_seconds(server) - cpu_before
    db_cpu = backends_cpu_seconds(database) - db_before if database else None
    if profile:
        profiling.print_profile(scenario, profiling.summarise(collapsed))
    bench = [line.split()[1:] for line in done.stdout.splitlines() if line.startswith("BENCH")]
    if done.returncode != 0 or not bench:
        sys.exit(f"wrk failed ({scenario}):\n{done.stdout}{done.stderr}")
    f = {key: int(value) for key, value in (field.split("=") for field in bench[0])}
    if f["forbidden"]:
        sys.exit(f"{scenario}: {f['forbidden']} answers were 403: the signatures are wrong")
    with open(log_path, "rb") as log:
        log.seek(log_start)
        logged = sum(b" failed (CallSid " in line for line in log)
    rps, errors = f["requests"] / (f["duration_us"] / 1e6), f["socket"] + f["non200"]
    p50, p99 = f["p50_us"] / 1e3, f["p99_us"] / 1e3
    ok = f["requests"] - f["non200"]
    cpu_ms = 1000 * cpu / max(1, f["requests"])
    db_cpu_ms = None if db_cpu is None else 1000 * db_cpu / max(1, f["requests"])
    return Result(
        scenario,
        rps,
        p50,
        p99,
        errors,
        logged,
        f["requests"],
        ok,
        bool(f["wrapped"]),
        cpu_ms,
        db_cpu_ms,
    )


def server_cpu_seconds(master: int) -> float:
    """CPU time (user + system) of the gunicorn master and its workers so far.

    Per request it is the figure other load on the machine hardly moves, where
    requests/s and latency move with whatever else runs on the cores.
    """
    ticks = 0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        pid, ppid = int(stat.parent.name), int(fields[1])
        if pid == master or ppid == master:
            ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def backends_cpu_seconds(database: str) -> float:
    """CPU time (user + system) so far of the PostgreSQL backends connected to
    ``database``, found by their process titles (``postgres: USER DATABASE HOST …``).

    The server's share of each request, on the same cores; a backend that ended during
    a run is missed (the pool keeps its connections, so none should).
    """
    ticks = 0
    for process in Path("/proc").glob("[0-9]*"):
        try:
            title = (process / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if not title.startswith("postgres: ") or f" {database} " not in title:
                continue
            fields = (process / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # a process that ended meanwhile
        ticks += int(fields[11]) + int(fields[12])  # utime, stime
    return ticks / os.sysconf("SC_CLK_TCK")


def bench_database(kind: str, args: argparse.Namespace) -> list[Result]:
    """A fresh demo instance on ``kind``, served by gunicorn, under the four runs."""
    with (
        tempfile.TemporaryDirectory(prefix=f"ivr-bench-{kind}-") as tmp,
        database_url(kind, Path(tmp)) as url,
    ):
        env = instance_env(Path(tmp), url)
        print(f"[{kind}] ivr demo", flush=True)
        ivr(env, "demo")
        hotlines, signer = hotline_numbers(env), Signer(env["TWILIO_AUTH_TOKEN"])
        with gunicorn(env, Path(tmp) / "gunicorn.log", args) as (base, pid):
            check_bare(base, signer)
            refs = menu_refs(base, signer, hotlines)
            print(f"[{kind}] {len(refs)} stations answer, {len(set(refs.values()))} menus")
            database = url.rsplit("/", 1)[1] if kind == "postgresql" else None
            run = partial(
                run_wrk, base=base, folder=Path(tmp), args=args, server=pid, database=database
            )
            return drive(run, signer, refs, url, args.duration, random.Random(kind))


def check_bare(base: str, signer: Signer) -> None:
    """The baseline must answer 200 with TwiML, or every figure beside it means nothing."""
    call = make_calls(1, ["+10000000000"], random.Random(0))[0]
    try:
        post(signer.request(base, "/bench/bare", voice_form(call)))
    except OSError as exc:
        sys.exit(f"/bench/bare does not answer 200: {exc}")


Run = Callable[[str, list[str]], Result]


def drive(
    run: Run, signer: Signer, refs: dict[str, str], url: str, duration: int, rng: random.Random
) -> list[Result]:
    """bare, voice, step, bare: each run's requests generated (and signed) just before it."""
    calls = partial(make_calls, hotlines=list(refs), rng=rng)
    bare = [signer.line("/bench/bare", voice_form(c)) for c in calls(2000)]
    bare1 = run("bare", bare)
    # Enough that no CallSid comes twice: the webhooks are never faster than bare.
    count = max(5000, int(bare1.rps * duration * 1.2))
    new = calls(count)
    voice = run("voice", [signer.line("/twilio/voice", voice_form(c)) for c in new])
    stored = set(query(url, "SELECT call_sid FROM calls"))
    made = [call for call in new if call.sid in stored]
    steps = [made[i % len(made)] for i in range(count)]  # each a new key press
    step_path = {number: STEP_PATH.format(ref=ref) for number, ref in refs.items()}
    step = run("step", [signer.line(step_path[c.hotline], step_form(c)) for c in steps])
    keys = query(url, "SELECT count(*) FROM call_events WHERE kind = 'keys'")[0] - len(refs)
    bare2 = run("bare", bare)
    # Requests still in flight when wrk stops may be stored without being counted.
    voice.stored, step.stored = len(made), keys
    return [bare1, voice, step, bare2]


ROW = "{:<9}{:>11}{:>9}{:>9}{:>9}{:>8}{:>8}{:>8}{:>10}{:>9}{:>9}"
HEADER = (
    "scenario",
    "requests/s",
    "p50 ms",
    "p99 ms",
    "200s",
    "errors",
    "exc",
    "stored",
    "p99/bare",
    "cpu ms",
    "db cpu",
)


def report(kind: str, results: list[Result], args: argparse.Namespace) -> None:
    bare = [r for r in results if r.scenario == "bare"]
    reference = sum(r.p99_ms for r in bare) / len(bare)
    print(f"\n{kind} (gunicorn: {server_model(args)}; {os.cpu_count()} cores)")
    print(ROW.format(*HEADER))
    for r in results:
        cells = [f"{r.rps:.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}", r.ok, r.errors, r.logged]
        stored = "-" if r.stored is None else r.stored
        note = "  (requests repeated!)" if r.wrapped and r.scenario != "bare" else ""
        ratio = f"{r.p99_ms / reference:.2f}x"
        db_cpu = "-" if r.db_cpu_ms is None else f"{r.db_cpu_ms:.2f}"
        print(ROW.format(r.scenario, *cells, stored, ratio, f"{r.cpu_ms:.2f}", db_cpu) + note)
    drift = bare[1].p99_ms / bare[0].p99_ms
    print(f"bare p99 reference: {reference:.1f} ms, mean of both runs (2nd/1st {drift:.2f})")
    for r in results[1:3]:
        ratio, errors = r.p99_ms / reference, r.errors + r.logged
        durable = r.stored is not None and r.stored >= r.ok
        passed = (
            r.rps >= RPS_TARGET
            and ratio <= P99_TARGET
            and errors == 0
            and durable
            and not r.wrapped
        )
        print(
            f"target {r.scenario}: {r.rps:.0f} requests/s (>= {RPS_TARGET}), p99 {ratio:.2f}x "
            f"bare (<= {P99_TARGET}x), {errors} errors (0), {r.stored} stored for {r.ok} "
            f"answered 200 (all) -> {'PASS' if passed else 'FAIL'}"
        )


def server_model(args: argparse.Namespace) -> str:
    threads = f" x {args.threads} threads" if args.worker_class == "gthread" else ""
    return f"{args.workers} {args.worker_class} workers{threads}"


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument("--duration", type=int, default=10, help="seconds per run")
    parser.add_argument("--connections", type=int, default=50, help="concurrent calls")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--worker-class", default="sync", choices=["sync", "gthread"])
    parser.add_argument("--threads", type=int, default=1, help="threads per gthread worker")
    parser.add_argument(
        "--profile", action="store_true", help="sample the workers with py-spy in voice and step"
    )
    args = parser.parse_args()
    if args.profile and not profiling.available():
        parser.error("--profile needs py-spy: .venv/bin/python -m pip install py-spy")
    args.db = [d.strip() for d in args.db.split(",") if d.strip()]
    if set(args.db) - {"sqlite", "postgresql"}:
        parser.error("--db takes sqlite, postgresql or both, comma-separated")
    return args


def give_up(_signum: int, _frame: object) -> None:
    raise TimeoutError("the benchmark took too long")  # the finally blocks clean up


def main() -> None:
    args = parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: apt-get install -y wrk")
    signal.signal(signal.SIGALRM, give_up)
    signal.alarm(len(args.db) * (300 + 8 * args.duration))
    print(
        f"cores: {os.cpu_count()}; gunicorn: {server_model(args)}; wrk: {WRK_THREADS} "
        f"threads, {args.connections} connections; {args.duration} s per run"
    )
    results = {kind: bench_database(kind, args) for kind in args.db}
    for kind, rows in results.items():
        report(kind, rows, args)


if __name__ == "__main__":
    main()
