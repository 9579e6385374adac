"""Webhooks and the spool: keep what Twilio said when the database cannot take it, and
feed it back through the same code once the database answers (see :mod:`ivr.voice.spool`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from sqlalchemy import exc as sa_exc

from ivr.db import get_session
from ivr.voice import bp
from ivr.voice.spool import Record, ReplayResult, Spool
from ivr.voice.turn import form_field, request_key, webhook_now

log = logging.getLogger(__name__)
TRIGGER_EVERY_SECONDS = 5.0
_last_trigger = 0.0
_trigger_lock = threading.Lock()


def spool_for(app: Flask) -> Spool:
    return Spool(app.config["IVR"].spool_dir)


def database_unavailable(error: BaseException) -> bool:
    """The database could not be reached or did not answer within the budget."""
    if isinstance(error, sa_exc.DBAPIError) and error.connection_invalidated:
        return True
    return isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError))


def keep_for_later(kind: str) -> None:
    """After a webhook's database work failed: roll back and spool the request.

    Raises if the spool cannot be written either (the caller answers so that Twilio
    retries, where it can).
    """
    log.exception(
        "webhook %s failed (CallSid %s); spooling it", request.path, form_field("CallSid")
    )
    try:
        get_session().rollback()
    except Exception:
        log.exception("rollback failed after webhook error")
    record = Record(
        kind=kind,
        path=request.full_path if request.query_string else request.path,
        form=request.form.to_dict(),
        key=request_key(),
        at=webhook_now().isoformat(),
    )
    g.database_failed = True
    spool_for(current_app).append(record)


def replay(app: Flask, held: bool = False) -> ReplayResult | None:
    """Apply every spooled webhook, in order, as the webhook would have."""
    from ivr.voice.recordings import ingest_from_request
    from ivr.voice.views import apply_status

    handlers: dict[str, Callable[[], object]] = {
        "recorded": ingest_from_request,
        "recording": ingest_from_request,
        "status": apply_status,
    }

    def apply(record: Record) -> None:
        handler = handlers.get(record.kind)
        if handler is None:
            raise ValueError(f"unknown spooled webhook {record.kind!r}")
        # A request context rebuilt from the record, so the webhook's own code reads the
        # same fields it would have read; the signature was checked when it was spooled.
        with app.test_request_context(
            record.path,
            method="POST",
            data=record.form,
            headers={"I-Twilio-Idempotency-Token": record.key},
        ):
            g.webhook_now = record.received_at
            handler()

    return spool_for(app).replay(apply, database_unavailable, held=held)


def replay_soon(app: Flask) -> None:
    """After a webhook reached the database: if this host's spool holds records, replay
    them in a background thread (at most every few seconds per process)."""
    global _last_trigger
    now = time.monotonic()
    if now - _last_trigger < TRIGGER_EVERY_SECONDS:
        return
    with _trigger_lock:
        if now - _last_trigger < TRIGGER_EVERY_SECONDS:
            return
        _last_trigger = now
    if not spool_for(app).has_records():
        return

    def run() -> None:
        try:
            replay(app)
        except Exception:
            log.exception("spool replay failed")

    threading.Thread(target=run, name="spool-replay", daemon=True).start()


@bp.after_request
def replay_after_success(response: Response) -> Response:
    if response.status_code < 300 and not g.get("database_failed"):
        replay_soon(current_app._get_current_object())  # type: ignore[attr-defined]
    return response
