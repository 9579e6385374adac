"""Prompt files for Twilio's ``<Play>`` (and the admin pages' players).

``GET /prompts/<menu ref>/<name>``: the menu reference a call's URLs carry (``v<id>``,
``d<station id>``) names the station, and the station's :class:`PromptFile` row names the
file, so nothing from the URL ever becomes a path. No sign-in: Twilio fetches these
without credentials, and they are the announcements every caller hears anyway.
"""

from __future__ import annotations

import time

from flask import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from ivr.db import get_session
from ivr.storage import storage
from ivr.storage.serving import send_stored
from models import MenuVersion, PromptFile, Station

bp = Blueprint("prompts", __name__, url_prefix="/prompts")

MAX_ID = 2**31 - 1  # beyond an integer column: no such row, and no database error


def station_for_ref(session: Session, menu_ref: str) -> int | None:
    """The station a menu reference belongs to; None for the unassigned menu or no match."""
    kind, number = menu_ref[:1], menu_ref[1:]
    if (
        kind not in ("v", "d")
        or not (number.isascii() and number.isdigit())
        or int(number) > MAX_ID
    ):
        return None
    if kind == "v":
        version = session.get(MenuVersion, int(number))
        return version.station_id if version is not None else None
    station = session.get(Station, int(number))
    return station.id if station is not None else None


@bp.get("/<menu_ref>/<name>", endpoint="file")
def prompt_file(menu_ref: str, name: str) -> Response:
    session = get_session()
    station_id = station_for_ref(session, menu_ref[:24])
    if station_id is None or len(name) > 64:
        abort(404)
    prompt = session.scalar(
        select(PromptFile).where(PromptFile.station_id == station_id, PromptFile.name == name)
    )
    response = send_stored(storage(), prompt.storage_path, etag=prompt.sha256) if prompt else None
    if response is None:
        abort(404)
    # Revalidated on every play (ETag, Last-Modified): a replaced prompt is heard at once.
    response.cache_control.no_cache = True
    response.cache_control.max_age = 0
    response.expires = int(time.time())
    return response
