"""The application's database: one engine per app, one session per request or job.

A request's session is chosen by what the request is: Twilio's webhooks get a time
budget (past it they spool and still answer), pages that only read (GET) begin SQLite
transactions deferred so they never hold the write lock, and everything else writes
with ``BEGIN IMMEDIATE``.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.db import deferred, make_engine, make_session_factory

WEBHOOK_PREFIX = "/twilio/"
# Webhooks whose reads need no write lock (deferred on SQLite until their first write).
CALL_STEP_PATHS = frozenset(
    {"/twilio/voice", "/twilio/gather", "/twilio/dial", "/twilio/recorded", "/twilio/recording"}
)


@dataclass
class Database:
    engine: Engine
    # Twilio's webhooks have their own connections, each holding the webhook's time
    # budget from the start (no per-transaction SET on PostgreSQL).
    webhook_engine: Engine
    sessions: sessionmaker[Session]  # read-write, BEGIN IMMEDIATE on SQLite
    readers: sessionmaker[Session]  # mostly reads: deferred on SQLite
    webhook_sessions: sessionmaker[Session]  # read-write within the webhook budget
    # A call's steps and recordings: within the budget, and on SQLite deferred until the
    # first write, so the write lock is held for the few writes, not the whole request.
    # Their writes never depend on a stale read: outcomes are raised in SQL, a voicemail
    # is unique per RecordingSid, and its ticket is found or opened after the first write.
    step_sessions: sessionmaker[Session]


def init_app(app: Flask) -> None:
    config = app.config["IVR"]
    engine = make_engine(config.database_url)
    webhooks = make_engine(config.database_url, budget=config.webhook_db_budget)
    app.extensions["ivr.db"] = Database(
        engine,
        webhooks,
        make_session_factory(engine),
        make_session_factory(deferred(engine)),
        make_session_factory(webhooks),
        make_session_factory(deferred(webhooks)),
    )
    app.teardown_appcontext(_close_session)


def dispose(app: Flask, close: bool = True) -> None:
    """Drop the pooled connections of both engines (``close=False`` after a fork)."""
    db = database(app)
    db.engine.dispose(close=close)
    db.webhook_engine.dispose(close=close)


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["ivr.db"]


def get_session(mostly_reads: bool = False) -> Session:
    """The session of the current request or CLI command, opened on first use.

    ``mostly_reads``: for a command that reads a lot and writes a little (a report, the
    statistics refresh), so its reading never holds SQLite's write lock.
    """
    if "db_session" not in g:
        db = database()
        g.db_session = (db.readers if mostly_reads else _factory_for_request(db))()
    return g.db_session


def _factory_for_request(db: Database) -> sessionmaker[Session]:
    if not has_request_context():
        return db.sessions
    if request.path in CALL_STEP_PATHS:
        return db.step_sessions
    if request.path.startswith(WEBHOOK_PREFIX):
        return db.webhook_sessions
    if request.method in ("GET", "HEAD"):
        return db.readers
    return db.sessions


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
