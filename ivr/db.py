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

from models.db import budgeted, deferred, make_engine, make_session_factory

WEBHOOK_PREFIX = "/twilio/"


@dataclass
class Database:
    engine: Engine
    sessions: sessionmaker[Session]  # read-write, BEGIN IMMEDIATE on SQLite
    readers: sessionmaker[Session]  # mostly reads: deferred on SQLite
    webhook_sessions: sessionmaker[Session]  # read-write within the webhook budget


def init_app(app: Flask) -> None:
    config = app.config["IVR"]
    engine = make_engine(config.database_url)
    app.extensions["ivr.db"] = Database(
        engine,
        make_session_factory(engine),
        make_session_factory(deferred(engine)),
        make_session_factory(budgeted(engine, config.webhook_db_budget)),
    )
    app.teardown_appcontext(_close_session)


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
    if request.path.startswith(WEBHOOK_PREFIX):
        return db.webhook_sessions
    if request.method in ("GET", "HEAD"):
        return db.readers
    return db.sessions


def _close_session(_exc: BaseException | None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        session.close()
