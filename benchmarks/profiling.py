"""Sampling profiles of a running server, for ``webhook_load.py --profile``.

py-spy (``pip install py-spy``) samples every gunicorn worker while wrk drives one
scenario and writes collapsed stacks (one line per distinct stack: frames separated by
``;``, then a space and the sample count). :func:`summarise` turns them into the two
tables worth reading: where the processes were (inclusive, per function) and what they
were doing themselves (self time, per function).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

RATE = 200  # samples per second per process


@dataclass(frozen=True)
class Profile:
    samples: int  # samples in a request (idle workers waiting for one are left out)
    layers: list[tuple[str, int]]  # where the top frame was: the app, SQLAlchemy, ...
    inclusive: list[tuple[str, int]]  # app function -> samples with it on the stack
    own: list[tuple[str, int]]  # function -> samples with it on top


DRIVER_CALLS = ("do_execute", "do_executemany", "do_commit", "do_rollback", "do_begin")
LAYERS = (
    ("ivr/", "application (ivr/, models/)"),
    ("models/", "application (ivr/, models/)"),
    ("sqlalchemy/", "SQLAlchemy"),
    ("twilio/", "twilio (signature, TwiML)"),
    ("flask/", "Flask / Werkzeug"),
    ("werkzeug/", "Flask / Werkzeug"),
    ("jinja2/", "Flask / Werkzeug"),
    ("gunicorn/", "gunicorn (socket, parsing)"),
    ("psycopg/", "database driver (the SQL itself)"),
    ("psycopg_binary/", "database driver (the SQL itself)"),
)


def py_spy() -> str | None:
    beside = Path(sys.executable).parent / "py-spy"  # installed into the same virtualenv
    return str(beside) if beside.exists() else shutil.which("py-spy")


def available() -> bool:
    return py_spy() is not None


@contextmanager
def sampled(pid: int, output: Path, duration: int) -> Iterator[None]:
    """Sample ``pid`` and its children for ``duration`` seconds into ``output``."""
    command = [
        py_spy() or "py-spy",
        "record",
        "--pid",
        str(pid),
        "--subprocesses",
        "--format",
        "raw",
    ]
    command += ["--rate", str(RATE), "--duration", str(duration), "--nolineno"]
    command += ["--output", str(output)]
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        yield
    finally:
        try:
            spy.wait(timeout=duration + 30)
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()


def frame_name(frame: str) -> str:
    """``render (ivr/voice/twiml.py)`` -> ``ivr/voice/twiml.py:render``; site-packages
    frames keep only the package path."""
    name, _, where = frame.partition(" (")
    where = where.rstrip(")")
    if "site-packages/" in where:
        where = where.split("site-packages/", 1)[1]
    elif "/lib/python3" in where:
        where = "stdlib/" + where.split("/lib/python3", 1)[1].split("/", 1)[-1]
    return f"{where}:{name}" if where else name


def layer(frame: str) -> str:
    where, _, name = frame.rpartition(":")
    if where.startswith("sqlalchemy/") and name.rsplit(".", 1)[-1] in DRIVER_CALLS:
        return "database driver (the SQL itself)"
    for prefix, label in LAYERS:
        if where.startswith(prefix):
            return label
    return "other (stdlib, C)"


def summarise(collapsed: Path, top: int = 15) -> Profile:
    inclusive: Counter[str] = Counter()
    own: Counter[str] = Counter()
    layers: Counter[str] = Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        frames = [frame_name(f) for f in stack.split(";") if f.strip()]
        # Only samples inside a request: a worker waiting in accept()/select() is idle.
        if not any("handle_request" in f for f in frames):
            continue
        count = int(count_text)
        samples += count
        own[frames[-1]] += count
        layers[layer(frames[-1])] += count
        for name in set(frames):
            if name.startswith(("ivr/", "models/")):
                inclusive[name] += count
    return Profile(samples, layers.most_common(), inclusive.most_common(top), own.most_common(top))


def print_profile(scenario: str, profile: Profile) -> None:
    if not profile.samples:
        print(f"  profile {scenario}: no samples (is py-spy allowed to ptrace?)")
        return
    share = lambda count: f"{100 * count / profile.samples:5.1f}%"  # noqa: E731
    print(f"\n  profile {scenario}: {profile.samples} samples inside requests")
    print("  where the time went (top frame):")
    for name, count in profile.layers:
        print(f"    {share(count)}  {name}")
    print("  application functions (on the stack):")
    for name, count in profile.inclusive:
        print(f"    {share(count)}  {name}")
    print("  top frames (self):")
    for name, count in profile.own:
        print(f"    {share(count)}  {name}")
