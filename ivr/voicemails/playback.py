"""Serving a stored recording to a person: the console and the API share these rules."""

from __future__ import annotations

from pathlib import Path

from flask import Response, request, send_file


def starts_playback() -> bool:
    """A player asks for later ranges as it goes; only a request from byte 0 is a new play."""
    ranges = request.range
    return ranges is None or not ranges.ranges or ranges.ranges[0][0] == 0


def send_recording(path: Path) -> Response:
    """The file with HTTP range support, never kept in a shared cache."""
    response = send_file(path, mimetype="audio/wav", conditional=True, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response
