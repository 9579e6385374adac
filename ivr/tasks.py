"""Background jobs on Huey: processing voicemails, the sweep that recovers lost ones, and
the statistics rollup.

Tasks are registered on the app's Huey instance by :func:`register`, so the web process
(which enqueues) and ``ivr worker`` (which runs them) share one definition.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import Flask
from huey import Huey, crontab

from ivr.db import database

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Tasks:
    process_voicemail: Any  # huey TaskWrapper: call it to enqueue
    sweep_voicemails: Any
    refresh_stats: Any = None  # every 10 minutes: the statistics rollup (ivr.stats.rollup)


def register(huey: Huey, app: Flask) -> Tasks:
    @huey.on_startup(name="ivr.fresh-connections")
    def fresh_connections() -> None:
        # A forked worker must not share the parent's pooled connections.
        database(app).engine.dispose(close=False)

    @huey.task(name="ivr.process_voicemail")
    def process_voicemail(voicemail_id: int) -> str | None:
        from ivr import voicemail_pipeline

        with app.app_context():
            settings = voicemail_pipeline.Settings.from_config(
                app.config["IVR"], app.extensions.get("ivr.twilio_http_client")
            )
            with database(app).sessions() as session:
                result = voicemail_pipeline.process(session, settings, voicemail_id)
        if result is None:
            return None
        if result.retry_in is not None:
            process_voicemail.schedule(args=(voicemail_id,), delay=result.retry_in)
        return result.state.value

    @huey.periodic_task(crontab(minute="*"), name="ivr.sweep_voicemails")
    def sweep_voicemails() -> int:
        return sweep(app, process_voicemail)

    @huey.periodic_task(crontab(minute="*/10"), name="ivr.refresh_stats")
    def refresh_stats() -> str:
        from models import utcnow

        # Today (and any day a change touched) every 10 minutes; recent and missing
        # closed days once an hour.
        return refresh_statistics(app, full=utcnow().minute < 10).summary()

    return Tasks(process_voicemail, sweep_voicemails, refresh_stats)


def refresh_statistics(app: Flask, full: bool = True) -> Any:
    """Recompute the statistics rollup: today so far and any day a change touched, and
    with ``full`` the recent closed days and a slice of days never rolled up."""
    from ivr.stats.rollup import refresh_rollups

    with database(app).sessions() as session:
        result = refresh_rollups(session) if full else refresh_rollups(session, days=0, backfill=0)
    log.info("statistics rollup: %s", result.summary())
    return result


def sweep(app: Flask, process_voicemail: Any) -> int:
    """Re-enqueue voicemails stuck in a non-final state (a worker died holding them)."""
    from ivr.voicemail_pipeline import stuck
    from models import utcnow

    config = app.config["IVR"]
    now = utcnow()
    with database(app).sessions() as session:
        lost = stuck(session, now - timedelta(seconds=config.sweep_stale_seconds))
        for voicemail in lost:
            # Touch it so the next sweep leaves it alone while this job is queued.
            voicemail.updated_at = now
        session.commit()
        ids = [v.id for v in lost]
    for voicemail_id in ids:
        process_voicemail(voicemail_id)
    if ids:
        log.warning("sweep re-enqueued %d stuck voicemail(s): %s", len(ids), ids)
    return len(ids)


def enqueue_voicemail(app: Flask, voicemail_id: int) -> None:
    """Queue processing; if the queue is down, the sweep will find the voicemail later."""
    try:
        app.extensions["ivr.tasks"].process_voicemail(voicemail_id)
    except Exception:
        log.exception("could not enqueue voicemail %s; the sweep will retry it", voicemail_id)
