"""``ivr serve``: run the service — the web application and the transcription worker."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time

import click

from ivr.edge.header_limits import SERVER_FIELD_BYTES

# A worker that dies is started again after 1, 2, 4 … seconds, at most this long; a
# worker that ran this long before dying starts again at once.
MAX_RESTART_DELAY = 60.0
# Twilio waits 15 s for a webhook. gthread workers answer webhooks on other threads
# while a slow request (a prompt upload converting, an export) occupies one.
GUNICORN_THREADS = 4
GUNICORN_TIMEOUT = 30


def web_command(host: str, port: int, workers: int, threads: int = GUNICORN_THREADS) -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "ivr.wsgi:app",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread" if threads > 1 else "sync",
        "--threads",
        str(threads),
        # A worker silent this long is killed and replaced (a stuck request, not a slow one).
        "--timeout",
        str(GUNICORN_TIMEOUT),
        "--graceful-timeout",
        "10",
        "--keep-alive",
        "5",
        # Above the app's own limit, so the app answers an oversized header (as JSON
        # under /api) instead of gunicorn's plain-text 431; see ivr/edge/header_limits.py.
        "--limit-request-field_size",
        str(SERVER_FIELD_BYTES),
        "--access-logfile",
        "-",
    ]


class Supervisor:
    """Keeps the worker running beside the web server: a worker that dies is restarted
    with back-off and never takes the web server down; if the web server dies, the
    whole service stops, so the operator's own supervisor sees it."""

    def __init__(self, web: list[str], worker: list[str] | None) -> None:
        self.web_command, self.worker_command = web, worker
        self.web = subprocess.Popen(web)
        self.worker: subprocess.Popen[bytes] | None = None
        self.worker_started = 0.0
        self.delay = 1.0
        self.restart_at: float | None = time.monotonic() if worker else None
        self.stopping = False

    def stop(self, *_args: object) -> None:
        self.stopping = True
        for child in (self.web, self.worker):
            if child is not None and child.poll() is None:
                child.terminate()

    def run(self) -> int:
        while not self.stopping and self.web.poll() is None:
            self._tend_worker()
            time.sleep(0.5)
        self.stop()
        code = self.web.wait()
        if self.worker is not None:
            self.worker.wait()
            _kill_group(self.worker.pid)
        return 0 if code in (0, -signal.SIGTERM) else abs(code)

    def _tend_worker(self) -> None:
        now = time.monotonic()
        if self.worker is not None and self.worker.poll() is not None:
            code = self.worker.returncode
            ran = now - self.worker_started
            self.delay = 1.0 if ran >= MAX_RESTART_DELAY else min(self.delay * 2, MAX_RESTART_DELAY)
            click.echo(
                f"ivr serve: the worker exited ({code}) after {ran:.0f} s; "
                f"starting it again in {self.delay:.0f} s",
                err=True,
            )
            # Its job processes and decoders outlive a consumer that was killed: end them
            # too, so the new worker is the only one taking jobs from this host.
            _kill_group(self.worker.pid)
            self.worker = None
            self.restart_at = now + self.delay
        if self.worker is None and self.restart_at is not None and now >= self.restart_at:
            assert self.worker_command is not None
            self.worker = subprocess.Popen(self.worker_command, start_new_session=True)
            self.worker_started = now
            self.restart_at = None


def _kill_group(group: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signal.SIGKILL)


@click.command(
    help=(
        "Serve the web application with gunicorn (gthread workers, so a slow page never "
        "holds up Twilio's webhooks) and, unless --no-worker, run the job worker that "
        "fetches and transcribes voicemails beside it, restarting it with back-off if it "
        "dies. Twilio must reach the web application at IVR_PUBLIC_URL (behind a "
        "TLS-terminating proxy in production)."
    )
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=int, help="Web worker processes.")
@click.option(
    "--threads",
    default=GUNICORN_THREADS,
    show_default=True,
    type=click.IntRange(1, 64),
    help="Threads per web worker. 1 gives sync workers: the most webhooks per second on "
    "two cores (benchmarks/webhook_load.py), but a slow upload or export then holds a "
    "whole worker; use it behind a proxy that buffers request bodies.",
)
@click.option(
    "--worker/--no-worker",
    "with_worker",
    default=True,
    show_default=True,
    help="Also run `ivr worker` (transcription) in a child process.",
)
def serve(host: str, port: int, workers: int, threads: int, with_worker: bool) -> None:
    click.echo(f"serving on http://{host}:{port}/ (health: http://{host}:{port}/healthz)")
    worker = [sys.executable, "-m", "ivr.cli", "worker"] if with_worker else None
    supervisor = Supervisor(web_command(host, port, workers, threads), worker)
    signal.signal(signal.SIGTERM, supervisor.stop)
    signal.signal(signal.SIGINT, supervisor.stop)
    sys.exit(supervisor.run())
