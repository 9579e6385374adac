"""Background jobs: the Huey queue (a SQLite file by default, Redis at scale) and its
tasks — processing voicemails, the sweep that recovers lost ones, texts to residents
(and the pass that sends those whose time came), call-backs asked for in the menu,
urgent alerts and their escalation, the statistics rollup and the daily retention run.

Each job is a plain function below, marked ``@job`` or ``@periodic``; :func:`register`
binds them to the app's Huey instance.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from functools import partial, update_wrapper
from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey, crontab
from huey.storage import SqliteStorage
from sqlalchemy import delete

from ivr.config import Config
from ivr.db import database, dispose

log = logging.getLogger(__name__)


# The jobs, by name: plain functions of the app and their arguments. ``register`` binds
# each to an app's Huey instance, so the web process (which enqueues) and ``ivr worker``
# (which runs them) share one definition, and several apps can live in one process.
JOBS: dict[str, Callable[..., Any]] = {}
PERIODIC: dict[str, tuple[crontab, int, Callable[..., Any]]] = {}


def job(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    def mark(function: Callable[..., Any]) -> Callable[..., Any]:
        JOBS[name] = function
        return function

    return mark


def periodic(
    name: str, schedule: crontab, every: int
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A job every consumer's scheduler enqueues on ``schedule``; once registered, only the
    first run in each ``every``-second interval across the cluster does the work (see
    :func:`once_per_interval`). The plain function, called directly, always runs."""

    def mark(function: Callable[..., Any]) -> Callable[..., Any]:
        PERIODIC[name] = (schedule, every, function)
        return function

    return mark


@job("ivr.process_voicemail")
def process_voicemail(app: Flask, voicemail_id: int) -> str | None:
    """Move one voicemail on (``ivr.voicemails.pipeline``); schedule the retry it asks for."""
    from ivr.storage import storage
    from ivr.voicemails import pipeline

    with app.app_context():
        settings = pipeline.Settings.from_config(
            app.config["IVR"], storage(app), app.extensions.get("ivr.twilio_http_client")
        )
        result = pipeline.process(database(app).sessions, settings, voicemail_id)
    if result is None:
        return None
    if result.state.value == "transcribed":  # the transcript may have made it urgent
        enqueue_alerts(app, voicemail_id=voicemail_id)
    if result.retry_in is not None:
        tasks(app).process_voicemail.schedule(args=(voicemail_id,), delay=result.retry_in)
    return result.state.value


@job("ivr.send_message")
def send_message(app: Flask, message_id: int) -> str | None:
    """Send one outbox message now (``ivr.outreach.sending``); a retry waits for the pass."""
    from ivr.outreach.sending import send
    from models import utcnow

    with app.app_context():
        state = send(
            database(app).sessions,
            app.config["IVR"],
            app.extensions.get("ivr.twilio_http_client"),
            message_id,
            utcnow(),
        )
    return state.value if state is not None else None


@periodic("ivr.send_due_messages", crontab(minute="*"), every=60)
def send_due_messages(app: Flask) -> int:
    """Messages whose time came: mornings after quiet hours, retries, lost enqueues.

    Every consumer may run it: each message is claimed before it is sent."""
    from ivr.outreach.sending import send_due
    from models import utcnow

    with app.app_context():
        return send_due(
            database(app).sessions,
            app.config["IVR"],
            app.extensions.get("ivr.twilio_http_client"),
            utcnow(),
        )


@job("ivr.ring_back")
def ring_back(app: Flask, request_id: int) -> str:
    """Ring a resident back who asked to be, from the hotline (``ivr.calls.ring_back``)."""
    from ivr.calls.ring_back import ring_back as ring

    with app.app_context():
        return ring(
            database(app).sessions,
            app.config["IVR"],
            app.extensions.get("ivr.twilio_http_client"),
            request_id,
        )


@periodic("ivr.ring_back_lost", crontab(minute="*"), every=60)
def ring_back_lost(app: Flask) -> int:
    """Call-back requests whose job was lost (``ivr.calls.ring_back.ring_lost``).

    Every consumer may run it: each request is claimed before it is rung."""
    from ivr.calls.ring_back import ring_lost
    from models import utcnow

    with app.app_context():
        return ring_lost(
            database(app).sessions,
            app.config["IVR"],
            app.extensions.get("ivr.twilio_http_client"),
            utcnow(),
        )


@job("ivr.raise_alerts")
def raise_alerts(app: Flask, ticket_id: int | None = None, voicemail_id: int | None = None) -> Any:
    """Alert the on-duty phone about a ticket that turned urgent (``ivr.alerts``)."""
    from ivr.alerts.passes import alert_ticket

    with app.app_context():
        return alert_ticket(
            database(app).sessions,
            app.config["IVR"],
            app.extensions.get("ivr.twilio_http_client"),
            ticket_id=ticket_id,
            voicemail_id=voicemail_id,
        )


@periodic("ivr.escalate_alerts", crontab(minute="*"), every=60)
def escalate_alerts(app: Flask) -> dict[str, int] | None:
    """Escalate unopened urgent tickets, retry refused alerts, catch lost nudges."""
    from ivr.alerts.passes import alert_pass

    with app.app_context():
        return alert_pass(
            database(app).sessions,
            app.config["IVR"],
            app.extensions.get("ivr.twilio_http_client"),
        )


@periodic("ivr.sweep_voicemails", crontab(minute="*"), every=60)
def sweep_voicemails(app: Flask) -> int | None:
    return sweep(app, tasks(app).process_voicemail)


@periodic("ivr.refresh_stats", crontab(minute="*/10"), every=600)
def refresh_stats(app: Flask) -> str | None:
    from models import utcnow

    # Today (and any day a change touched) every 10 minutes; recent and missing closed
    # days once an hour.
    return refresh_statistics(app, full=utcnow().minute < 10).summary()


@periodic("ivr.enforce_retention", crontab(hour="19", minute="30"), every=86400)
def enforce_retention(app: Flask) -> str | None:
    """Daily (03:30 in Guangzhou): remove what the retention periods say is due."""
    from ivr.privacy.retention import enforce_retention as enforce
    from ivr.storage import storage

    report = enforce(
        database(app).sessions,
        app.config["IVR"],
        twilio_http_client=app.extensions.get("ivr.twilio_http_client"),
        storage=storage(app),
    )
    return report.summary()


@dataclass(frozen=True)
class Tasks:
    """An app's jobs as Huey task wrappers: call one to enqueue it."""

    process_voicemail: Any
    send_message: Any
    ring_back: Any
    ring_back_lost: Any
    raise_alerts: Any
    escalate_alerts: Any
    sweep_voicemails: Any
    send_due_messages: Any
    refresh_stats: Any
    enforce_retention: Any


def tasks(app: Flask) -> Tasks:
    return app.extensions["ivr.jobs"]  # type: ignore[no-any-return]


def register(huey: Huey, app: Flask) -> Tasks:
    """Bind every job above to ``huey`` for ``app``."""

    @huey.on_startup(name="ivr.fresh-connections")
    def fresh_connections() -> None:
        # A forked worker must not share the parent's pooled connections.
        dispose(app, close=False)

    def bind(function: Callable[..., Any]) -> Callable[..., Any]:
        return update_wrapper(partial(function, app), function)

    wrappers = {name: huey.task(name=name)(bind(function)) for name, function in JOBS.items()}
    for name, (schedule, every, function) in PERIODIC.items():
        wrappers[name] = huey.periodic_task(schedule, name=name)(
            gated(app, name.removeprefix("ivr."), every, function)
        )
    return Tasks(**{name.removeprefix("ivr."): wrapper for name, wrapper in wrappers.items()})


def gated(app: Flask, name: str, every: int, function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` bound to ``app``, doing its work only for the first caller in each
    interval: every consumer on every host schedules the periodic jobs."""

    def run() -> Any:
        if not once_per_interval(app, name, every):
            return None
        return function(app)

    return update_wrapper(run, function)


def refresh_statistics(app: Flask, full: bool = True) -> Any:
    """Recompute the statistics rollup: today so far and any day a change touched, and
    with ``full`` the recent closed days and a slice of days never rolled up."""
    from ivr.stats.rollup import refresh_rollups

    # Reads in deferred transactions: SQLite's write lock only while a chunk is written.
    with database(app).readers() as session:
        result = refresh_rollups(session) if full else refresh_rollups(session, days=0, backfill=0)
    log.info("statistics rollup: %s", result.summary())
    return result


def once_per_interval(app: Flask, name: str, seconds: int) -> bool:
    """True for the first caller in this ``seconds``-long interval across every consumer
    and host sharing the database; False for the rest."""
    from sqlalchemy.dialects import postgresql, sqlite

    from ivr.voicemails.leases import new_owner
    from models import PeriodicRun, utcnow

    now = utcnow()
    slot = int(now.timestamp()) // seconds
    with database(app).sessions() as session:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        won = session.execute(
            dialect.insert(PeriodicRun)
            .values(name=name, slot=slot, owner=new_owner(), started_at=now)
            .on_conflict_do_nothing(index_elements=["name", "slot"])
            .returning(PeriodicRun.slot)
        ).first()
        # A day of history is plenty to see which host ran what.
        session.execute(
            delete(PeriodicRun).where(
                PeriodicRun.name == name, PeriodicRun.slot < slot - 86400 // seconds
            )
        )
        session.commit()
    return won is not None


def sweep(app: Flask, process_voicemail: Any) -> int:
    """Re-enqueue voicemails whose job was lost (see ``voicemail_pipeline.stuck``)."""
    from ivr.voicemails.pipeline import mark_requeued, stuck
    from models import utcnow

    config = app.config["IVR"]
    now = utcnow()
    with database(app).sessions() as session:
        ids = stuck(session, now, timedelta(seconds=config.sweep_stale_seconds))
        if ids:
            mark_requeued(session, ids, now)
        session.commit()
    for voicemail_id in ids:
        process_voicemail(voicemail_id)
    if ids:
        log.warning("sweep re-enqueued %d stuck voicemail(s): %s", len(ids), ids)
    return len(ids)


def enqueue_voicemail(app: Flask, voicemail_id: int) -> None:
    """Queue processing; if the queue is down, the sweep will find the voicemail later."""
    try:
        tasks(app).process_voicemail(voicemail_id)
    except Exception:
        log.exception("could not enqueue voicemail %s; the sweep will retry it", voicemail_id)


def enqueue_message(app: Flask, message_id: int) -> None:
    """Queue a text; if the queue is down, the periodic pass sends it a minute later."""
    try:
        tasks(app).send_message(message_id)
    except Exception:
        log.exception("could not enqueue message %s; the periodic pass will send it", message_id)


def enqueue_ring_back(app: Flask, request_id: int) -> None:
    """Queue a call back after the step's commit; a failure to is logged on the row's
    behalf (it stays pending: the periodic ``ivr.ring_back_lost`` rings it)."""
    try:
        tasks(app).ring_back(request_id)
    except Exception:
        log.exception("could not enqueue the call back %s", request_id)


def enqueue_alerts(app: Flask, **ticket_or_voicemail: int) -> None:
    """Queue an alert check after a commit; if the queue is down, the pass finds it."""
    try:
        tasks(app).raise_alerts(**ticket_or_voicemail)
    except Exception:
        log.exception("could not enqueue alerts for %s; the pass will", ticket_or_voicemail)


class QueueFile(SqliteStorage):
    """Huey's SQLite queue without an fsync per job.

    Huey leaves SQLite's default (``synchronous=FULL``): every enqueue and every take by a
    consumer waited for the disk (about 6 ms here), inside the webhook that queued a
    voicemail and while holding the queue's lock. A job lost to a power cut is not lost
    work: the voicemail row is the source of truth, and the sweep queues any voicemail
    left unprocessed. WAL with ``synchronous=NORMAL`` keeps the file consistent.
    """

    def _create_connection(self):  # type: ignore[no-untyped-def]
        connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


def make_huey(config: Config) -> Huey:
    if config.redis_url:
        return RedisHuey(config.queue_name, url=config.redis_url)
    config.queue_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(config.queue_name, storage_class=QueueFile, filename=str(config.queue_path))


def init_app(app: Flask) -> None:
    huey = make_huey(app.config["IVR"])
    app.extensions["ivr.huey"] = huey
    app.extensions["ivr.jobs"] = register(huey, app)


def get_huey(app: Flask | None = None) -> Huey:
    return (app or current_app).extensions["ivr.huey"]


def queue_status(huey: Huey) -> dict[str, Any]:
    """Whether the queue's storage answers, and how many jobs wait in it."""
    backend = "redis" if isinstance(huey, RedisHuey) else "sqlite"
    try:
        pending = huey.pending_count()
        scheduled = huey.scheduled_count()
    except Exception as exc:  # any storage failure means the queue is unusable
        return {"ok": False, "backend": backend, "reason": f"{type(exc).__name__}: {exc}"}
    return {"ok": True, "backend": backend, "pending": pending, "scheduled": scheduled}
