"""``ivr serve`` as an operator runs it: a dying worker is restarted, the web goes on."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import app_env

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _children(pid: int) -> dict[int, str]:
    out = subprocess.run(
        ["ps", "-o", "pid=,args=", "--ppid", str(pid)], capture_output=True, text=True
    ).stdout
    return {int(p): a for p, a in (line.strip().split(" ", 1) for line in out.splitlines())}


def _worker_pid(pid: int) -> int | None:
    return next((p for p, args in _children(pid).items() if "ivr.cli worker" in args), None)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split()[2] != "Z"
    except FileNotFoundError:
        return False


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as answer:
            return answer.status == 200
    except OSError:
        return False


def _wait_for(predicate, timeout: float = 30.0):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.2)
    return value


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_killed_worker_is_restarted_and_the_web_server_keeps_answering(tmp_path, database_url):
    port = _free_port()
    env = {**os.environ, **app_env(tmp_path, database_url)}
    serve = subprocess.Popen(
        [sys.executable, "-m", "ivr.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        start_new_session=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(lambda: _healthy(port))
        first = _wait_for(lambda: _worker_pid(serve.pid))
        job_processes = _wait_for(lambda: list(_children(first)))  # Huey's, forked
        os.kill(first, signal.SIGKILL)
        assert _healthy(port)  # the web server is not taken down with it
        second = _wait_for(
            lambda: _worker_pid(serve.pid) not in (None, first) and _worker_pid(serve.pid)
        )
        assert second != first and serve.poll() is None and _healthy(port)
        # The killed consumer's job processes went with it: one worker takes jobs, not two.
        assert not any(_alive(pid) for pid in job_processes)
        serve.terminate()  # an operator's Ctrl-C or SIGTERM stops everything cleanly
        assert serve.wait(20) == 0
    finally:
        if serve.poll() is None:
            os.killpg(serve.pid, signal.SIGKILL)
        serve.wait(10)


def test_one_thread_per_worker_means_sync_workers():
    from ivr.cli.serve import web_command

    sync = web_command("127.0.0.1", 5000, 2, threads=1)
    threaded = web_command("127.0.0.1", 5000, 2)
    assert sync[sync.index("--worker-class") + 1] == "sync"
    assert threaded[threaded.index("--worker-class") + 1] == "gthread"
    assert threaded[threaded.index("--threads") + 1] == "4"
