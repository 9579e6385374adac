"""``ivr serve``: run the service — the web application and the transcription worker."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import click


@click.command(
    help=(
        "Serve the web application with gunicorn and, unless --no-worker, run the job "
        "worker that fetches and transcribes voicemails beside it. Twilio must reach the "
        "web application at IVR_PUBLIC_URL (behind a TLS-terminating proxy in production)."
    )
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=int, help="Web worker processes.")
@click.option(
    "--worker/--no-worker",
    "with_worker",
    default=True,
    show_default=True,
    help="Also run `ivr worker` (transcription) in a child process.",
)
def serve(host: str, port: int, workers: int, with_worker: bool) -> None:
    web = [
        sys.executable,
        "-m",
        "gunicorn",
        "ivr.wsgi:app",
        "--bind",
        f"{host}:{port}",
        "--workers",
        str(workers),
        "--access-logfile",
        "-",
        "--graceful-timeout",
        "10",
    ]
    click.echo(f"serving on http://{host}:{port}/ (health: http://{host}:{port}/healthz)")
    children = [subprocess.Popen(web)]
    if with_worker:
        children.append(subprocess.Popen([sys.executable, "-m", "ivr.cli", "worker"]))

    def stop(_signum, _frame):  # type: ignore[no-untyped-def]
        for child in children:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    # When one child dies, take the other down too, so a supervisor sees the failure.
    while all(child.poll() is None for child in children):
        time.sleep(1)
    stop(None, None)
    codes = [child.wait() for child in children]
    sys.exit(max(abs(code) for code in codes))
