"""Twilio's side of a campaign call: the worker answered; dial the resident on the list."""

from __future__ import annotations

import logging

from flask import Response

from ivr.campaigns import dialing
from ivr.db import get_session
from ivr.voice import bp
from ivr.voice.bridging import connect, hang_up, parties, spoken_end
from ivr.voice.turn import form_field, voice_urls
from models import CampaignEntry, Station

log = logging.getLogger(__name__)


@bp.post("/campaign-bridge")
def campaign_bridge() -> Response:
    """The worker picked up: dial the resident from their station's hotline number."""
    try:
        entry, worker = parties(CampaignEntry, "e")
        if entry is None or worker is None:
            return spoken_end("对不起，找不到这位居民。")
        station = get_session().get(Station, entry.station_id) if entry.station_id else None
        return connect(
            dialing.hotline_of(station),
            entry.caller.phone_number,
            voice_urls("u").webhook("campaign-bridge-done", e=entry.id, w=worker.id),
        )
    except Exception:
        log.exception("campaign bridge failed (CallSid %s)", form_field("CallSid"))
        return spoken_end("对不起，系统暂时出现故障，请在电访页面重试。")


@bp.post("/campaign-bridge-done")
def campaign_bridge_done() -> Response:
    """The leg to the resident ended; its DialCallStatus lands on the entry."""
    session = get_session()
    try:
        entry, worker = parties(CampaignEntry, "e")
        if entry is not None and worker is not None:
            dialing.finished(
                session, entry, worker, form_field("CallSid"), form_field("DialCallStatus", 20)
            )
            session.commit()
    except Exception:
        log.exception("campaign-bridge-done failed (CallSid %s)", form_field("CallSid"))
        session.rollback()
    return hang_up()
