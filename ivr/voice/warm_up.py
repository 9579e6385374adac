"""Before a web worker takes its first call: every station and every live menu read.

A burst of calls right after a start or a deploy (the surge benchmark's 50 at once, or a
busy hour) would otherwise pay, call by call, for each station's first look-up and each
menu's parse. A failure here costs nothing but that: the caches fill as calls come.
"""

from __future__ import annotations

import logging
import time

from flask import Flask

from ivr.db import database
from ivr.stations.directory import directory
from ivr.voice.turn import load_call_menu

log = logging.getLogger(__name__)


def warm_call_path(app: Flask) -> int:
    """Fill this process's station cache and parse every live menu; how many stations."""
    started = time.monotonic()
    try:
        with app.app_context(), database(app).readers() as session:
            stations = directory().stations(session.connection())
            filled = stations.fill(session)
            for facts in filled:
                load_call_menu(session, facts.menu_ref)
    except Exception:
        log.warning("could not warm the call path; it fills as calls come", exc_info=True)
        return 0
    log.info("call path warm: %d stations in %.2f s", len(filled), time.monotonic() - started)
    return len(filled)
