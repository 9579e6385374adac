"""Serving a sealed recording: decrypted as it streams, with HTTP range requests,
conditional GETs and the same headers as a plain file."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path

from flask import Response, request
from werkzeug.wsgi import wrap_file

from ivr.privacy.sealed import CHUNK, MAGIC, SealedReader, is_sealed
from ivr.storage import Keys, open_path


def is_sealed_file(path: Path) -> bool:
    with path.open("rb") as handle:
        return is_sealed(handle.read(len(MAGIC)))


def send_sealed(path: Path, keys: Keys, mimetype: str = "audio/wav") -> Response:
    """The plain audio of a sealed file; ``Range`` answered from the chunks it touches."""
    reader = open_path(path, keys)
    assert isinstance(reader, SealedReader)
    stat = path.stat()
    body = wrap_file(request.environ, reader, buffer_size=CHUNK)
    response = Response(body, mimetype=mimetype, direct_passthrough=True)
    response.last_modified = datetime.fromtimestamp(stat.st_mtime, UTC)
    response.set_etag(
        hashlib.sha256(f"{path}:{stat.st_mtime_ns}:{reader.size}".encode()).hexdigest()[:32]
    )
    response.content_length = reader.size
    return response.make_conditional(request, accept_ranges=True, complete_length=reader.size)
