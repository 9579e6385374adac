"""A stored file as an HTTP response: streamed, with range requests and conditional GETs,
from whichever backend holds it and whichever host is asked.

The body is werkzeug's own file wrapper, not the WSGI server's: gunicorn's cannot seek,
so a range deep in a recording would be reached by reading (and, from the database,
fetching) everything before it. Werkzeug's seeks, so a range costs the chunks it touches.
"""

from __future__ import annotations

import hashlib

from flask import Response, request
from werkzeug.wsgi import FileWrapper

from ivr.storage.backend import Storage

BUFFER = 64 * 1024


def send_stored(
    storage: Storage, key: str | None, mimetype: str = "audio/wav", etag: str | None = None
) -> Response | None:
    """The plain content of ``key`` (decrypted as it streams when sealed), answering
    ``Range`` with 206 and ``Content-Range``; None when there is no such file."""
    opened = storage.open(key)
    if opened is None:
        return None
    try:
        response = Response(
            FileWrapper(opened.stream, BUFFER), mimetype=mimetype, direct_passthrough=True
        )
        response.last_modified = opened.modified
        response.set_etag(etag or hashlib.sha256(opened.version.encode()).hexdigest()[:32])
        response.content_length = opened.size
        return response.make_conditional(request, accept_ranges=True, complete_length=opened.size)
    except BaseException:
        opened.close()
        raise
