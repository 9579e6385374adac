"""``ivr serve``: run the service."""

from __future__ import annotations

import signal
import subprocess
import sys

import click


@click.command(
    help=(
        "Serve the web application with gunicorn. Twilio must reach it at IVR_PUBLIC_URL "
        "(behind a TLS-terminating proxy in production)."
    )
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=5000, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=2, show_default=True, type=int, help="Web worker processes.")
def serve(host: str, port: int, workers: int) -> None:
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

    def stop(_signum, _frame):  # type: ignore[no-untyped-def]
        for child in children:
            child.terminate()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    codes = [child.wait() for child in children]
    sys.exit(max(codes))
