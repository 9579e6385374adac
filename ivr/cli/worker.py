"""``ivr worker``: the job-queue consumer that fetches and transcribes voicemails."""

from __future__ import annotations

import logging

import click
from flask import current_app
from flask.cli import with_appcontext

from ivr.queue import get_huey


@click.command(
    help=(
        "Run the job-queue consumer: fetch, transcribe and tag voicemails, and sweep up "
        "any a dead worker left behind. Work runs in separate processes, each recycled "
        "after --max-jobs jobs; only these processes ever load a Vosk model."
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
    consumer.run()
