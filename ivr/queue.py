"""The durable job queue: Huey on a SQLite file by default, on Redis at scale."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app
from huey import Huey, RedisHuey, SqliteHuey

from ivr.config import Config


def make_huey(config: Config) -> Huey:
    if config.redis_url:
        return RedisHuey(config.queue_name, url=config.redis_url)
    config.queue_path.parent.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(config.queue_name, filename=str(config.queue_path))


def init_app(app: Flask) -> None:
    from ivr.tasks import register

    huey = make_huey(app.config["IVR"])
    app.extensions["ivr.huey"] = huey
    app.extensions["ivr.tasks"] = register(huey, app)


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
