"""Where recordings and prompts are kept: a local folder (the default, one machine) or the
application's own database (a cluster: every host reads what any host stored).

``IVR_STORAGE_BACKEND`` picks one; code receives a :class:`Storage` (``storage()`` in a
request, job or command) and never a path. Given keys (``IVR_STORAGE_KEYS``) recordings
are written sealed (``ivr.privacy.sealed``: AES-GCM in chunks), byte for byte the same
in either backend; reading detects the header, so files written before keys were set,
or without keys (prompts), keep working.
"""

from __future__ import annotations

from flask import Flask, current_app
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ivr.config import Config
from ivr.storage.backend import Keys, Opened, Storage, StoredKeyInvalid, valid_key
from ivr.storage.blob_reader import StoredFileChanged
from ivr.storage.database import DatabaseStorage
from ivr.storage.files import FileStorage

__all__ = [
    "DatabaseStorage",
    "FileStorage",
    "Keys",
    "Opened",
    "Storage",
    "StoredFileChanged",
    "StoredKeyInvalid",
    "init_app",
    "open_storage",
    "storage",
    "storage_for",
    "valid_key",
]


def open_storage(config: Config, engine: Engine, backend: str | None = None) -> Storage:
    """The backend ``config`` names (or ``backend``), with the configured keys."""
    chosen = backend or config.storage_backend
    if chosen == "database":
        return DatabaseStorage(engine, config.storage_keys)
    return FileStorage(config.storage_dir, config.storage_keys)


def storage_for(config: Config, bind: Session | sessionmaker[Session]) -> Storage:
    """The configured backend over the database ``bind`` works on: for a service called
    with the configuration and a session but no storage (a script, a test)."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind.kw["bind"]
    return open_storage(config, engine)


def init_app(app: Flask) -> None:
    from ivr.db import database

    app.extensions["ivr.storage"] = open_storage(app.config["IVR"], database(app).engine)


def storage(app: Flask | None = None) -> Storage:
    """The app's storage backend."""
    return (app or current_app).extensions["ivr.storage"]
