"""Oversized request headers answered by the app, in the API's JSON under ``/api``.

gunicorn refuses a header field over its ``limit_request_field_size`` with its own
plain-text 431 before the app is called; ``ivr serve`` raises that limit to
:data:`SERVER_FIELD_BYTES` so the app itself refuses fields over :data:`MAX_FIELD_BYTES`
(gunicorn's own default) and can answer in the format the client expects. Beyond the
server's limits (a field over ``SERVER_FIELD_BYTES``, more than 100 fields, a request
line over 4094 bytes) gunicorn still answers alone.
"""

from __future__ import annotations

from flask import Flask, request
from werkzeug.exceptions import RequestHeaderFieldsTooLarge

MAX_FIELD_BYTES = 8190
SERVER_FIELD_BYTES = 4 * MAX_FIELD_BYTES


def refuse_oversized_headers() -> None:
    for name, value in request.headers.items():
        if len(name) + len(value) + 2 > MAX_FIELD_BYTES:
            raise RequestHeaderFieldsTooLarge()


def init_app(app: Flask) -> None:
    app.before_request(refuse_oversized_headers)
