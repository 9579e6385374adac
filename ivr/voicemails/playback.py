"""Serving a stored recording to a person: the console and the API share these rules.

Every play is audited once, whatever the ``Range`` header says. A browser plays a
recording as a first request from byte 0 and then continuation ranges (``bytes=N-``);
only the first is a new play. A request counts as a continuation only if it asks for one
range that starts past byte 0 *and* the same user's play of the same recording was
audited within ``CONTINUATION_WINDOW``: otherwise (no Range, ``bytes=0-``, ``bytes=1-`` out
of the blue, a suffix range ``bytes=-N``, several ranges, a header werkzeug cannot parse)
it is a play and gets its own audit row, whenever the response carries audio. A ``HEAD``,
a ``304`` or a ``416`` (werkzeug refuses several ranges and ranges past the end) sends
none and is not a play. The row is written before the response is returned.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Response, request
from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.storage import Storage
from ivr.storage.serving import send_stored
from models import AuditLog, utcnow

PLAY_ACTION = "voicemail.play"
# How long after an audited play its player may still ask for later ranges without a new
# row. A pause longer than this costs one more row, never one fewer.
CONTINUATION_WINDOW = timedelta(minutes=15)
RANGE_SHOWN_CHARS = 100


def asks_for_continuation() -> bool:
    """One byte range starting past byte 0: what a player asks for once it is playing."""
    ranges = request.range
    if ranges is None or len(ranges.ranges) != 1:
        return False
    start, _end = ranges.ranges[0]
    return start > 0  # a suffix range (bytes=-N) is stored with a negative start


def play_needs_audit(
    session: Session,
    user_id: int,
    voicemail_id: int,
    response: Response,
    now: datetime | None = None,
) -> bool:
    """Whether ``response`` to this request sends a new play to audit (see the module doc).
    Only a response that carries audio counts: not a HEAD, a 304 or a 416."""
    if request.method == "HEAD" or response.status_code not in (200, 206):
        return False
    if not asks_for_continuation():
        return True
    since = (now or utcnow()) - CONTINUATION_WINDOW
    earlier = session.scalar(
        select(AuditLog.id)
        .where(
            AuditLog.object_type == "voicemail",
            AuditLog.object_id == str(voicemail_id),
            AuditLog.action == PLAY_ACTION,
            AuditLog.user_id == user_id,
            AuditLog.at >= since,
        )
        .limit(1)
    )
    return earlier is None


def range_detail() -> str:
    """The request's Range header as the audit row keeps it (shortened)."""
    return request.headers.get("Range", "")[:RANGE_SHOWN_CHARS]


def send_recording(storage: Storage, key: str | None) -> Response | None:
    """The recording with HTTP range support, never kept in a shared cache, from whichever
    backend holds it; one sealed at rest (``IVR_STORAGE_KEYS``) is decrypted as it streams.
    None when there is no such recording."""
    response = send_stored(storage, key)
    if response is not None:
        response.headers["Cache-Control"] = "private, no-store"
    return response
