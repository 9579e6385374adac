"""A cap on every request body, checked before anything reads or parses it.

Twilio's webhooks and the console's forms are a few kilobytes, so every endpoint gets
:data:`DEFAULT_BODY_BYTES` unless its view says otherwise with :func:`body_allowance`.
A body announced larger than its cap is refused with 413 before a byte of it is read; a
body with no Content-Length (chunked) is read through a stream that stops at the cap
and refuses with 413 there. The hook runs first among the app's ``before_request``
hooks, so neither the CSRF check nor the Twilio signature check parses a body first.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import TypeVar

from flask import Flask, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

DEFAULT_BODY_BYTES = 64 * 1024
# A view marked with this reads its body under a limit of its own, in its own way (the
# prompt upload answers an oversized file with its page, not a bare 413).
BOUNDED_BY_VIEW = -1
ATTRIBUTE = "body_allowance"
READ_CHUNK = 16 * 1024

View = TypeVar("View", bound=Callable[..., object])


def body_allowance(limit: int | Callable[[], int]) -> Callable[[View], View]:
    """Let a view take bodies up to ``limit`` bytes (or what ``limit()`` says at request
    time), or :data:`BOUNDED_BY_VIEW`. Put it below decorators that use functools.wraps."""

    def mark(view: View) -> View:
        setattr(view, ATTRIBUTE, limit)
        return view

    return mark


def allowance_for(endpoint: str | None) -> int:
    view = current_app.view_functions.get(endpoint or "")
    limit = getattr(view, ATTRIBUTE, DEFAULT_BODY_BYTES)
    return limit() if callable(limit) else limit


def cap_request_body() -> None:
    limit = allowance_for(request.endpoint)
    if limit == BOUNDED_BY_VIEW:
        return
    # Bounds the stream werkzeug hands to every parser, chunked bodies included.
    request.max_content_length = limit
    if request.routing_exception is not None:
        return  # a 404 or 405 follows, and reads no body
    if request.content_length is not None:
        if request.content_length > limit:
            raise RequestEntityTooLarge()
    elif request.environ.get("wsgi.input_terminated"):
        _read_unannounced_body(limit)


def _read_unannounced_body(limit: int) -> None:
    """Read a body sent without a length (chunked) now, up to one byte past ``limit``.

    werkzeug's own limited stream stops quietly at the cap, so parsers would see a cut
    body (an empty form: a 400 or 403, not a 413). Past the cap this refuses with 413;
    otherwise the body, now of known length, is handed on from memory.
    """
    environ = request.environ
    stream, kept, size = environ["wsgi.input"], [], 0
    while size <= limit:
        chunk = stream.read(min(READ_CHUNK, limit + 1 - size))
        if not chunk:
            break
        kept.append(chunk)
        size += len(chunk)
    if size > limit:
        raise RequestEntityTooLarge()
    environ["wsgi.input"] = io.BytesIO(b"".join(kept))
    environ["CONTENT_LENGTH"] = str(size)


def init_app(app: Flask) -> None:
    """Register the cap; call before anything else adds a ``before_request`` hook."""
    app.before_request_funcs.setdefault(None, []).insert(0, cap_request_body)
