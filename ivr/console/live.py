"""The live queue: a console asks, every few seconds, whether its queue has changed.

``GET /console/queue/changes`` answers with a strong ETag made from the scope's queue
version (``ivr.tickets.queue_versions``: one small read, no ticket touched) and, when it
differs from the ``If-None-Match`` the page sent, a small JSON naming the newest urgent
tickets, so the page can fetch the fresh list and sound its cue. Unchanged: 304 with no
body. Polling never writes: sessions live in the signed cookie, and nothing here is
recorded. Conditional polling rather than a held-open stream, because ``ivr serve``
answers Twilio from the same few threads a stream would occupy.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Response, current_app, g, jsonify, request, url_for
from flask_login import current_user

from ivr.console import bp
from ivr.console.common import scope
from ivr.db import get_session
from ivr.tickets.queue_versions import newest_urgent, queue_version
from ivr.tickets.scope import Scope

POLL_SECONDS = 15  # the page's interval; QUEUE_POLL_SECONDS in app.config overrides it


def _scope_key(of: Scope) -> str:
    return f"{of.role.value}:{of.station_id}:{of.district_id}"


def _etag(of: Scope, version: int) -> str:
    return hashlib.blake2s(f"{_scope_key(of)}:{version}".encode(), digest_size=12).hexdigest()


def _current_etag() -> str:
    """The scope's ETag now, read once per request."""
    if "queue_etag" not in g:
        g.queue_etag = _etag(scope(), queue_version(get_session(), scope()))
    return g.queue_etag


@bp.before_request
def _version_before_the_queue() -> None:
    """Read the version before the queue page reads its tickets: a change landing in
    between then shows as a change at the first poll, never as a missed one."""
    if request.endpoint == "console.queue" and current_user.is_authenticated:
        _current_etag()


@bp.get("/queue/changes")
def queue_changes() -> Response | tuple[Response, int]:
    if not current_user.is_authenticated:
        # Not a redirect to the sign-in page: the page's script says so and stops.
        return jsonify(error="signed_out"), 401
    etag = _current_etag()
    if request.if_none_match.contains(etag):
        response = Response(status=304)
    else:
        response = jsonify(urgent=newest_urgent(get_session(), scope()))
    response.set_etag(etag)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.app_context_processor
def _live_queue() -> dict[str, Any]:
    def queue_live() -> dict[str, Any]:
        """What templates/console/_live.html starts from (only computed where included)."""
        return {
            "url": url_for("console.queue_changes"),
            "etag": _current_etag(),
            "urgent": newest_urgent(get_session(), scope()),
            "interval": current_app.config.get("QUEUE_POLL_SECONDS", POLL_SECONDS),
        }

    return {"queue_live": queue_live}
