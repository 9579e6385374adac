"""The cluster on one machine (``scripts/cluster.sh``), driven from Python.

``benchmarks/cluster_surge.py`` and ``tests/cluster/`` bring it up with the environment
they choose, kill and start hosts, run ``ivr`` on one, read the hosts' logs and HAProxy's
view of the web hosts, and answer HTTP on loopback *inside* the worker hosts: Twilio's
media host stand-in must be a loopback address to them (plain http is fetched only from a
loopback host listed in ``IVR_RECORDING_HOSTS``), so the same server also listens at
127.0.0.1:<its port> in each worker's network namespace.
"""

from __future__ import annotations

import csv
import ctypes
import io
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from http.server import ThreadingHTTPServer
from pathlib import Path
from socketserver import BaseRequestHandler
from typing import Any

from sqlalchemy import text

from benchmarks.surge import read_engine

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "cluster.sh"
WEB_HOSTS = ("web1", "web2")
WORKER_HOSTS = ("worker1", "worker2")
HOST_NUMBERS = {"root": 1, "db": 10, "lb": 11, "web1": 21, "web2": 22, "worker1": 31, "worker2": 32}
WEB_PORT, STATS_PORT = 8000, 8404
CLONE_NEWNET = 0x40000000


class ClusterError(RuntimeError):
    """A cluster command failed; the message holds its output."""


@cache
def unavailable() -> str | None:
    """Why no cluster can be built on this machine, or None when one can."""
    if os.geteuid() != 0:
        return "the cluster needs root (network namespaces, a bridge, PostgreSQL as postgres)"
    if shutil.which("ip") is None:
        return "the cluster needs iproute2's `ip` (ip netns)"
    probe = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True)
    if probe.returncode != 0:
        return f"`ip netns` does not work here: {probe.stderr.strip()}"
    return None


@dataclass
class Cluster:
    """One cluster: its name (namespace prefix), its /24, its folder and the IVR_* and
    TWILIO_* settings every host gets."""

    name: str = "ivr"
    net: str = "10.231.7"
    folder: Path = Path("/tmp/ivr-cluster")
    env: dict[str, str] = field(default_factory=dict)
    python: str = sys.executable
    web_workers: int = 2  # gunicorn workers per web host
    started: float = 0.0  # when `up` began (epoch seconds)

    def address(self, host: str) -> str:
        return f"{self.net}.{HOST_NUMBERS[host]}"

    def namespace(self, host: str) -> str:
        return f"{self.name}-{host}"

    @property
    def public_url(self) -> str:
        """The load balancer: what Twilio calls and signs (IVR_PUBLIC_URL)."""
        return f"http://{self.address('lb')}"

    @property
    def database_url(self) -> str:
        return f"postgresql+psycopg://postgres@{self.address('db')}:5432/ivr"

    def web_url(self, host: str) -> str:
        return f"http://{self.address(host)}:{WEB_PORT}"

    def exists(self) -> bool:
        """Whether a cluster of this name is up (its namespaces are there)."""
        return any(
            Path(f"/run/netns/{self.namespace(host)}").exists()
            for host in HOST_NUMBERS
            if host != "root"
        )

    def run(self, *args: str, timeout: float = 300) -> str:
        """``scripts/cluster.sh ARGS``; its output, or ClusterError when it fails."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("IVR_", "TWILIO_"))}
        env |= self.env | {
            "IVR_CLUSTER_NAME": self.name,
            "IVR_CLUSTER_NET": self.net,
            "IVR_CLUSTER_DIR": str(self.folder),
            "IVR_PYTHON": self.python,
            "IVR_CLUSTER_WEB_WORKERS": str(self.web_workers),
        }
        done = subprocess.run(
            ["bash", str(SCRIPT), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            raise ClusterError(f"cluster.sh {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
        return done.stdout

    def up(self, *options: str) -> str:
        self.started = time.time()
        return self.run("up", *options, timeout=900)

    def down(self) -> str:
        return self.run("down", timeout=120)

    def kill(self, host: str) -> None:
        self.run("kill", host, timeout=60)

    def start(self, host: str) -> None:
        self.run("start", host, timeout=180)

    def ivr(self, host: str, *args: str) -> str:
        return self.run("ivr", host, *args, timeout=600)

    def status(self) -> str:
        return self.run("status", timeout=60)

    def log(self, host: str, name: str) -> str:
        path = self.folder / host / name
        return path.read_text(errors="replace") if path.exists() else ""

    def logs(self) -> dict[str, str]:
        """Every host's logs, by ``host/file``."""
        return {
            f"{path.parent.name}/{path.name}": path.read_text(errors="replace")
            for path in sorted(self.folder.glob("*/*.log"))
        }

    def lb_servers(self) -> dict[str, dict[str, str]]:
        """HAProxy's statistics row of each web host (status, stot, wretr, wredis …)."""
        url = f"http://{self.address('lb')}:{STATS_PORT}/stats;csv"
        with urllib.request.urlopen(url, timeout=5) as reply:
            body = reply.read().decode().lstrip("# ")
        return {
            row["svname"]: row
            for row in csv.DictReader(io.StringIO(body))
            if row["pxname"] == "web" and row["svname"] in WEB_HOSTS
        }


# --- recordings through each web host ------------------------------------------------------


@dataclass
class Playback:
    """One web host's answers to every voicemail's audio."""

    host: str
    playable: int = 0
    failures: Counter[str] = field(default_factory=Counter)  # why not, and how often


def fetch_audio(base: str, token: str, voicemail_id: int) -> str:
    """Why the recording did not come back as audio (WAV); "" when it did."""
    request = urllib.request.Request(
        f"{base}/api/v1/voicemails/{voicemail_id}/audio",
        headers={"Authorization": f"Bearer {token}"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            body = reply.read()
    except urllib.error.HTTPError as exc:
        return f"HTTP {exc.code}"
    except OSError as exc:
        return type(exc).__name__
    return "" if body[:4] == b"RIFF" else f"{len(body)} bytes, not audio"


def playback(cluster: Cluster, ids: list[int]) -> list[Playback]:
    """Every voicemail's audio, through each web host directly (not the load balancer),
    as the demo's city admin (``admin``) with an API token made on web1."""
    token = cluster.ivr("web1", "tokens", "create", "admin", "--name", "cluster surge")
    token = token.strip().splitlines()[-1]
    results = []
    for host in WEB_HOSTS:
        result, base = Playback(host), cluster.web_url(host)
        with ThreadPoolExecutor(8) as pool:
            outcomes = pool.map(lambda i, base=base: fetch_audio(base, token, i), ids)
            for outcome in outcomes:
                if outcome:
                    result.failures[outcome] += 1
                else:
                    result.playable += 1
        results.append(result)
    return results


# --- answering inside a host's namespace --------------------------------------------------


def _setns(fd: int) -> None:
    if hasattr(os, "setns"):  # Python 3.12
        os.setns(fd, CLONE_NEWNET)
        return
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.setns(fd, CLONE_NEWNET) != 0:
        error = ctypes.get_errno()
        raise OSError(error, os.strerror(error))


def listening_socket_in(namespace: str, port: int, address: str = "127.0.0.1") -> Any:
    """A listening TCP socket at ``address:port`` inside the network namespace.

    Made by a thread that joins the namespace and ends (``setns`` moves only the calling
    thread); the socket stays in the namespace. No process of ours joins it, so killing
    every process of that host leaves the socket alone.
    """
    import socket

    made: dict[str, Any] = {}

    def make() -> None:
        try:
            fd = os.open(f"/run/netns/{namespace}", os.O_RDONLY)
            try:
                _setns(fd)
            finally:
                os.close(fd)
            made["socket"] = socket.create_server((address, port), backlog=128)
        except BaseException as exc:  # noqa: BLE001 - handed to the caller
            made["error"] = exc

    thread = threading.Thread(target=make, name=f"listen-in-{namespace}")
    thread.start()
    thread.join()
    if "error" in made:
        raise made["error"]
    return made["socket"]


class CountingServer(ThreadingHTTPServer):
    """An HTTP server on a socket made elsewhere, counting the connections it accepts."""

    daemon_threads = True

    def __init__(self, listening: Any, handler: type[BaseRequestHandler]) -> None:
        super().__init__(listening.getsockname(), handler, bind_and_activate=False)
        self.socket.close()
        self.socket = listening
        self.connections = 0

    def process_request(self, request: Any, client_address: Any) -> None:
        self.connections += 1
        super().process_request(request, client_address)


@contextmanager
def answering_inside(
    httpd: ThreadingHTTPServer, cluster: Cluster, hosts: tuple[str, ...] = WORKER_HOSTS
) -> Iterator[dict[str, CountingServer]]:
    """``httpd``'s handler also answers at 127.0.0.1:<httpd's port> inside each host.

    Yields each host's server (``connections`` says how many times that host connected).
    """
    port = httpd.server_address[1]
    servers: dict[str, CountingServer] = {}
    try:
        for host in hosts:
            listening = listening_socket_in(cluster.namespace(host), port)
            server = CountingServer(listening, httpd.RequestHandlerClass)
            threading.Thread(target=server.serve_forever, daemon=True).start()
            servers[host] = server
        yield servers
    finally:
        for server in servers.values():
            server.shutdown()
            server.server_close()


# --- periodic jobs across the cluster -----------------------------------------------------

LOG_TIME = r"(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d),(\d{3})"


@dataclass(frozen=True)
class Execution:
    host: str
    at: float  # epoch seconds it started, from the log line
    task: str  # Huey's task id
    finished: bool  # its "executed in" line was there when the rows were read


@dataclass
class PeriodicRuns:
    """One periodic job across the cluster: which worker hosts' schedulers put it on the
    shared queue, how often consumers ran it (any consumer takes any job), and which runs
    did the work (``periodic_runs``: the first in each interval)."""

    job: str  # Huey's name, e.g. ivr.sweep_voicemails
    seconds: int  # its interval
    scheduled: list[tuple[str, float]]  # (host, epoch seconds) its scheduler enqueued it
    executions: list[Execution]
    rows: list[tuple[int, str]]  # (slot, owner) rows of periodic_runs

    def scheduled_by(self) -> Counter[str]:
        return Counter(host for host, _ in self.scheduled)

    def slots(self, finished_only: bool = False) -> dict[int, list[str]]:
        """Slot → the hosts whose consumer ran the job in that interval."""
        slots: dict[int, list[str]] = {}
        for run in self.executions:
            if run.finished or not finished_only:
                slots.setdefault(int(run.at) // self.seconds, []).append(run.host)
        return slots

    @property
    def doubled_slots(self) -> int:
        """Intervals in which the job ran more than once (all but the first did nothing)."""
        return sum(len(hosts) > 1 for hosts in self.slots().values())

    @property
    def worked_twice(self) -> int:
        """Intervals with more than one run that did the work: 0, always."""
        slots = [slot for slot, _ in self.rows]
        return len(slots) - len(set(slots))

    def once_per_interval(self) -> bool:
        """Every interval a finished run started in has its one row, and every row comes
        from an interval some consumer ran the job in."""
        rows = {slot for slot, _ in self.rows}
        return set(self.slots(finished_only=True)) <= rows <= set(self.slots())


def _log_time(match: re.Match[str]) -> float:
    return datetime.strptime(match[1], "%Y-%m-%d %H:%M:%S").timestamp() + int(match[2]) / 1000


def _scheduled(cluster: Cluster, job: str, since: float) -> list[tuple[str, float]]:
    pattern = re.compile(
        rf"^{LOG_TIME} .*Enqueueing periodic task (?:[\w.]+\.)?{re.escape(job)}: ", re.M
    )
    return sorted(
        (host, at)
        for host in WORKER_HOSTS
        for match in pattern.finditer(cluster.log(host, "worker.log"))
        if (at := _log_time(match)) >= since
    )


def _executions(cluster: Cluster, job: str, since: float) -> dict[str, Execution]:
    name = re.escape(job)
    # Huey names a task by its module too: "ivr.jobs.ivr.sweep_voicemails: <id>".
    started = re.compile(rf"^{LOG_TIME} .*: Executing (?:[\w.]+\.)?{name}: (\S+)", re.M)
    finished = re.compile(rf"[ .]{name}: (\S+) executed in ")
    runs = {}
    for host in WORKER_HOSTS:
        log = cluster.log(host, "worker.log")
        done = set(finished.findall(log))
        for match in started.finditer(log):
            at = _log_time(match)
            if at >= since:
                runs[match[3]] = Execution(host, at, match[3], match[3] in done)
    return runs


def periodic_runs(
    cluster: Cluster, job: str, name: str, seconds: int, since: float
) -> PeriodicRuns:
    """Executions of ``job`` logged by the worker hosts since ``since`` (epoch seconds),
    and the ``periodic_runs`` rows of ``name`` (once_per_interval's name) since then.

    Read in an order that tolerates a run in progress: finished runs from the logs, then
    the rows, then the runs started (a row's run logged its start before it wrote).
    """
    finished = {task for task, run in _executions(cluster, job, since).items() if run.finished}
    engine = read_engine(cluster.database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text("SELECT slot, owner FROM periodic_runs WHERE name = :name AND slot >= :slot"),
                {"name": name, "slot": int(since) // seconds},
            ).all()
    finally:
        engine.dispose()
    started = _executions(cluster, job, since)
    executions = [
        Execution(run.host, run.at, run.task, run.task in finished) for run in started.values()
    ]
    return PeriodicRuns(
        job,
        seconds,
        _scheduled(cluster, job, since),
        sorted(executions, key=lambda r: r.at),
        sorted((s, o) for s, o in rows),
    )


def owner_host(owner: str | None) -> str:
    """The host of a lease or periodic run's owner (``host:pid:token``)."""
    return (owner or "").split(":", 1)[0]


@contextmanager
def cluster_up(cluster: Cluster, *options: str) -> Iterator[Cluster]:
    """``up`` now, ``down`` at the end, whatever happens in between. Refuses a name that
    is already up: that cluster is someone else's, and left alone."""
    if cluster.exists():
        raise ClusterError(
            f"a cluster named {cluster.name} is up; if it is a leftover, remove it with "
            f"IVR_CLUSTER_NAME={cluster.name} IVR_CLUSTER_NET={cluster.net} "
            f"IVR_CLUSTER_DIR={cluster.folder} scripts/cluster.sh down"
        )
    try:
        cluster.up(*options)
        yield cluster
    finally:
        with suppress(Exception):
            cluster.down()
