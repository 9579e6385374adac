"""``GET /healthz``: can this instance take calls and process voicemails?

Anyone (a load balancer, ``ivr serve``, the worker's supervisor) gets the overall status
and each check's ``ok``, with the HTTP status saying whether to send traffic here. The
details (model folders, schema revisions, queue errors, spool depth) are shown only to a
signed-in city admin: paths and raw errors tell an outsider how the host is laid out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, current_app, jsonify
from flask_login import current_user
from sqlalchemy import text

from ivr.db import database
from ivr.jobs import get_huey, queue_status
from ivr.storage import storage
from models import Role
from models.migrate import current_revision, head_revision
from transcription.registry import ModelRegistry

bp = Blueprint("health", __name__)


def database_status() -> dict[str, Any]:
    engine = database().engine
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(engine)
    except Exception as exc:
        return {"ok": False, "backend": engine.dialect.name, "reason": f"{type(exc).__name__}"}
    head = head_revision()
    status: dict[str, Any] = {
        "ok": revision == head,
        "backend": engine.dialect.name,
        "revision": revision,
        "head": head,
    }
    if revision != head:
        status["reason"] = f"schema at {revision}, code expects {head}: run `ivr db upgrade`"
    return status


def vosk_status() -> dict[str, Any]:
    """Models are checked by layout only; the web process never loads one."""
    models = ModelRegistry(current_app.config["IVR"].vosk_models).status()
    usable = [lang for lang, report in models.items() if report["ok"]]
    status: dict[str, Any] = {"ok": bool(usable), "models": models}
    if not usable:
        status["reason"] = (
            "no usable Vosk model (set IVR_VOSK_MODEL_<LANG>); voicemails still open "
            "tickets, without transcripts"
        )
    return status


def spool_status() -> dict[str, Any]:
    """Webhooks kept on this host's disk while the database could not take them."""
    from ivr.voice.spooled import spool_for

    status = spool_for(current_app).status()
    status["ok"] = status["held"] == 0
    if status["held"]:
        status["reason"] = "spooled webhooks failed to replay: see `ivr spool status`"
    return status


def storage_status() -> dict[str, Any]:
    """Where recordings and prompts are kept, and whether this host can write there. The
    database backend is as healthy as the database; a folder must be writable, or be
    creatable under a writable parent (it is made on the first write)."""
    kept = storage()
    status: dict[str, Any] = {"ok": True, "backend": kept.name}
    root: Path | None = getattr(kept, "root", None)
    if root is None:
        return status
    existing = root
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    writable = existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)
    if not writable:
        status["ok"] = False
        status["reason"] = (
            f"cannot write to {existing}: recordings cannot be stored here "
            "(IVR_STORAGE_DIR; a cluster uses IVR_STORAGE_BACKEND=database)"
        )
    return status


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    checks = {
        "database": database_status(),
        "queue": queue_status(get_huey()),
        "vosk": vosk_status(),
        "spool": spool_status(),
        "storage": storage_status(),
    }
    # Without a database or queue no voicemail is safe: unavailable. Without a model,
    # voicemails still reach workers untranscribed; with webhooks waiting in the spool,
    # they reach workers late; without writable storage, recordings wait at Twilio for a
    # worker that can store them (and prompts cannot be uploaded): degraded, but still
    # serving calls.
    if not (checks["database"]["ok"] and checks["queue"]["ok"]):
        overall, code = "unavailable", 503
    elif (
        not (checks["vosk"]["ok"] and checks["spool"]["ok"] and checks["storage"]["ok"])
        or checks["spool"]["depth"]
    ):
        overall, code = "degraded", 200
    else:
        overall, code = "ok", 200
    if not _may_see_details():
        checks = {name: {"ok": check["ok"]} for name, check in checks.items()}
    response = jsonify({"status": overall, "checks": checks})
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


def _may_see_details() -> bool:
    user = getattr(current_user, "user", None)  # a SignedIn, when someone is signed in
    return user is not None and user.role is Role.CITY_ADMIN


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
