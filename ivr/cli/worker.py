"""``ivr worker``: the job-queue consumer that fetches and transcribes voicemails."""

from __future__ import annotations

import logging
import threading
import time

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from ivr.jobs import get_huey

SPOOL_REPLAY_SECONDS = 5.0


@click.command(
    help=(
        "Run the job-queue consumer: fetch, transcribe and tag voicemails, and sweep up "
        "any a dead worker left behind. Work runs in separate processes, each recycled "
        "after --max-jobs jobs; each decodes in a child process of its own, the only "
        "processes that load a Vosk model. Also replays this host's spool of webhooks "
        "(at start, then every few seconds) once the database answers."
    )
)
@click.option(
    "--processes",
    type=click.IntRange(1, 64),
    default=None,
    help="Worker processes (default IVR_WORKER_PROCESSES, 2).",
)
@click.option(
    "--max-jobs",
    type=click.IntRange(1),
    default=None,
    help="Jobs before a process is replaced (default IVR_WORKER_MAX_JOBS, 200).",
)
@with_appcontext
def worker(processes: int | None, max_jobs: int | None) -> None:
    config = current_app.config["IVR"]
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(processName)s %(name)s: %(message)s"
    )
    consumer = get_huey().create_consumer(
        workers=processes or config.worker_processes,
        worker_type="process",
        max_tasks=max_jobs or config.worker_max_jobs,
        check_worker_health=True,
        health_check_interval=2,
        periodic=True,
    )
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    threading.Thread(target=_replay_spool_forever, args=(app,), daemon=True).start()
    consumer.run()


def _replay_spool_forever(app: Flask) -> None:
    """This host's spool: webhooks the database could not take. Replayed here because the
    spool is local to the host, while any consumer anywhere may run a queued job."""
    from ivr.voice.spooled import replay, spool_for

    log = logging.getLogger("ivr.voice.spool")
    while True:
        try:
            if spool_for(app).has_records():
                replay(app)
        except Exception:
            log.exception("spool replay failed; trying again shortly")
        time.sleep(SPOOL_REPLAY_SECONDS)
