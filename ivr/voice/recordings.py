"""Recordings: the <Record> action and the recording status callback, in any order.

Both record the voicemail (and open its ticket) and commit before queueing it for the
worker; neither downloads or transcribes. On SQLite both read in a deferred transaction
and take the write lock only for what they write: the <Record> action writes the
voicemail, its ticket and the step in one short transaction, and a recording already
known (the second of the two callbacks, usually) writes nothing at all.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from flask import Response, current_app, request
from twilio.twiml.voice_response import VoiceResponse

from ivr.calls.steps import OUTCOME_RANK
from ivr.jobs import enqueue_alerts, enqueue_message, enqueue_voicemail
from ivr.menus import engine
from ivr.menus import versions as menus
from ivr.menus.document import VoicemailNode
from ivr.menus.engine import MenuPositionInvalid, Position
from ivr.outreach import acknowledgement
from ivr.voice import bp
from ivr.voice.spooled import keep_for_later
from ivr.voice.turn import Turn, form_field, load_call_menu, voice_endpoint, xml
from ivr.voice.twiml import message_kept
from ivr.voicemails import ingest as voicemails
from ivr.voicemails.ingest import RecordingReport
from models import CallOutcome, VoicemailState

log = logging.getLogger(__name__)


def _recording_report(turn: Turn, position: Position) -> RecordingReport | None:
    sid = form_field("RecordingSid")
    if not sid:
        return None
    duration = form_field("RecordingDuration", 10)
    node = turn.menu.nodes.get(position.node)
    return RecordingReport(
        recording_sid=sid,
        recording_url=form_field("RecordingUrl", 500),
        status=form_field("RecordingStatus", 20),
        duration=int(duration) if duration.isdigit() else None,
        language=position.language if position.language in turn.menu.languages else "",
        node=node if isinstance(node, VoicemailNode) else None,
    )


@dataclass(frozen=True)
class Ingested:
    """What to queue once the transaction commits: a new voicemail, its acknowledgement."""

    voicemail_id: int | None = None
    message_id: int | None = None


def _ingest(turn: Turn, position: Position) -> Ingested:
    """Record the voicemail (and open its ticket, and plan its acknowledgement text)."""
    report = _recording_report(turn, position)
    if report is None:
        return Ingested()
    call = turn.call()
    voicemail, created = voicemails.ingest(turn.session, call, report, turn.now)
    # Outcomes only rise, so one read as high already needs no write (and no lock).
    if OUTCOME_RANK[call.outcome] < OUTCOME_RANK[CallOutcome.VOICEMAIL]:
        turn.raise_outcome(CallOutcome.VOICEMAIL)
    if not created:
        return Ingested()
    message_id = acknowledgement.plan(
        turn.session, voicemail, call.from_number, call.to_number, turn.now
    )
    new = voicemail.id if voicemail.state is VoicemailState.RECEIVED else None
    return Ingested(new, message_id)


def _enqueue(ingested: Ingested) -> None:
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if ingested.voicemail_id is not None:
        enqueue_voicemail(app, ingested.voicemail_id)
        # The menu's urgent node made the ticket urgent: alert now, not after transcription.
        enqueue_alerts(app, voicemail_id=ingested.voicemail_id)
    if ingested.message_id is not None:
        enqueue_message(app, ingested.message_id)


def _load_for_recording() -> Turn:
    """A recording is kept even when the menu named in its URL cannot be loaded."""
    try:
        return Turn.load(request.args.get("m", ""))
    except MenuPositionInvalid:
        log.warning("recording for CallSid %s names an unknown menu", form_field("CallSid"))
        return Turn.load(menus.UNASSIGNED)


def ingest_from_request() -> Turn:
    """Record the voicemail this request reports (and open its ticket), commit, then queue
    it. Live from the webhooks, or replayed from the spool."""
    turn = _load_for_recording()
    new_voicemail = _ingest(turn, turn.position())
    turn.session.commit()
    _enqueue(new_voicemail)
    return turn


@bp.post("/recorded")
@voice_endpoint
def recorded() -> Response:
    """The <Record> action: the voicemail is recorded and queued, then the caller thanked.

    The voicemail, its ticket and the step are one transaction. If the database cannot
    take it, the report is spooled (replayed as the recording) and the caller still thanked.
    """
    try:
        turn = _load_for_recording()
        position = turn.position()
        new_voicemail = _ingest(turn, position)
        try:
            step = engine.recorded(turn.menu, turn.context, position)
        except MenuPositionInvalid:
            unassigned, _ = load_call_menu(turn.session, menus.UNASSIGNED)
            step = engine.recorded(unassigned, turn.context, Position("record", "zh"))
        detail = {
            "recording_sid": form_field("RecordingSid"),
            "duration": form_field("RecordingDuration", 10),
            "fallback": request.args.get("fallback") == "1",
        }
        events = [{"kind": "recorded", "node": position.node, "detail": detail}]
        response = turn.respond(step, events)  # commits
    except Exception:
        keep_for_later("recorded")
        return xml(message_kept())
    _enqueue(new_voicemail)
    return response


@bp.post("/recording")
def recording_status() -> Response:
    """Recording status callback: completed, or absent (the caller said nothing)."""
    try:
        ingest_from_request()
    except Exception:
        try:
            keep_for_later("recording")
        except Exception:
            # Nothing kept it: a 5xx makes Twilio retry, and the <Record> action reports
            # the same recording too.
            log.exception("could not spool the recording callback either")
            return Response("recording callback failed\n", status=500, mimetype="text/plain")
    return xml(str(VoiceResponse()))
