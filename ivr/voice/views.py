"""The webhooks. Each parses Twilio's form, asks the engine, logs the step, returns TwiML.

A caller never hears an application error: any failure inside a webhook is logged with
its CallSid and answered with an apology and a voicemail.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, current_app, request
from sqlalchemy import select
from sqlalchemy.orm import Session
from twilio.twiml.voice_response import VoiceResponse

from ivr import calls, menus, voicemails
from ivr.db import get_session
from ivr.menu import engine
from ivr.menu.document import Menu, VoicemailNode
from ivr.menu.engine import MenuPositionInvalid, Position, Step, Transfer
from ivr.tasks import enqueue_voicemail
from ivr.tickets import open_or_merge_ticket
from ivr.voice import bp
from ivr.voice.twiml import VoiceUrls, apology, render
from ivr.voicemails import RecordingReport
from models import Call, Caller, CallOutcome, Station, TicketSource, VoicemailState, utcnow

log = logging.getLogger(__name__)
MAX_TRANSFERS = 3


class WebhookInvalid(Exception):
    """A signed request that still lacks what a webhook needs (e.g. a CallSid)."""


CONTROL_CHARACTERS = dict.fromkeys([*range(32), 127])


def _field(name: str, limit: int = 64) -> str:
    """A form field as safe text: no control characters (PostgreSQL refuses NUL), bounded."""
    return request.form.get(name, "").translate(CONTROL_CHARACTERS).strip()[:limit]


def xml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def _urls(menu_ref: str) -> VoiceUrls:
    return VoiceUrls(current_app.config["IVR"].public_url, menu_ref)


def voice_endpoint(view: Callable[[], Response]) -> Callable[[], Response]:
    """Turn any failure into spoken TwiML and a log line naming the call."""

    @wraps(view)
    def guarded() -> Response:
        try:
            return view()
        except Exception:
            log.exception("webhook %s failed (CallSid %s)", request.path, _field("CallSid"))
            try:
                get_session().rollback()
            except Exception:
                log.exception("rollback failed after webhook error")
            offer_voicemail = request.endpoint != "voice.recorded"
            return xml(apology(_urls(menus.UNASSIGNED), offer_voicemail))

    return guarded


def _load_menu(session: Session, ref: str) -> tuple[Menu, int | None]:
    cache = current_app.extensions.setdefault("ivr.published_menus", {})
    return menus.load_menu(session, ref, cache)


def request_key() -> str:
    """Identifies this webhook request across Twilio's retries of it."""
    token = request.headers.get("I-Twilio-Idempotency-Token", "")
    if token:
        return token[:100]
    digest = hashlib.sha256(request.full_path.encode())
    for name in sorted(request.form):
        digest.update(f"\0{name}={request.form.get(name)}".encode())
    return digest.hexdigest()[:40]


@dataclass
class Turn:
    """One webhook request's work: the call, its menu, and where the caller is."""

    session: Session
    call: Call
    menu_ref: str
    menu: Menu
    station: Station | None
    now: datetime

    @classmethod
    def load(cls, menu_ref: str | None = None) -> Turn:
        session = get_session()
        call_sid = _field("CallSid")
        if not call_sid:
            raise WebhookInvalid("no CallSid")
        now = utcnow()
        call, _created = calls.get_or_create_call(
            session, call_sid, _field("From", 32), _field("To", 32), now
        )
        if menu_ref is None:
            home = session.get(Station, call.station_id) if call.station_id else None
            menu_ref = menus.menu_ref_for(session, home)
        menu, station_id = _load_menu(session, menu_ref)
        station = session.get(Station, station_id) if station_id else None
        return cls(session, call, menu_ref, menu, station, now)

    @property
    def context(self) -> engine.CallContext:
        return calls.call_context(self.station, self.call.to_number, self.now)

    def position(self) -> Position:
        args = request.args
        attempt, ring = args.get("a", "0"), args.get("r", "0")
        return Position(
            node=args.get("n", "")[:100],
            language=args.get("l", "")[:8],
            attempt=int(attempt) if attempt.isdigit() else 0,
            ring=int(ring) if ring.isdigit() else 0,
        )

    def respond(self, step: Step, events: list[dict[str, Any]]) -> Response:
        """Follow transfers, log the step once per request, and answer with TwiML."""
        step = self._follow_transfers(step, events)
        call = self.call
        call.last_node = step.visited[-1] if step.visited else call.last_node
        call.language = step.language
        if step.need:
            call.chosen_need = step.need
        if isinstance(step.action, engine.Hangup):
            calls.raise_outcome(call, CallOutcome.COMPLETED)
        events = events + [{"kind": "node", "node": node} for node in step.visited]
        calls.log_events(self.session, call, request_key(), events, self.now)
        self.session.commit()
        return xml(render(step, _urls(self.menu_ref)))

    def _follow_transfers(self, step: Step, events: list[dict[str, Any]]) -> Step:
        for _ in range(MAX_TRANSFERS):
            if not isinstance(step.action, Transfer):
                return step
            target = self.session.scalar(select(Station).where(Station.code == step.action.station))
            if target is None or not target.active:
                raise MenuPositionInvalid(f"transfer to unknown station {step.action.station!r}")
            self.call.transferred_to_station_id = target.id
            calls.raise_outcome(self.call, CallOutcome.TRANSFERRED)
            events.append({"kind": "transfer", "detail": {"to": target.code}})
            self.menu_ref = menus.menu_ref_for(self.session, target)
            self.menu, _ = _load_menu(self.session, self.menu_ref)
            self.station = target
            entered = engine.continue_at(self.menu, self.context, self.menu.start, step.language)
            step = Step(
                step.speech + entered.speech,
                entered.action,
                step.visited + entered.visited,
                entered.language,
                step.need or entered.need,
            )
        raise MenuPositionInvalid("too many transfers in one step")


@bp.post("/voice")
@voice_endpoint
def incoming() -> Response:
    turn = Turn.load()
    detail = {"from": turn.call.from_number, "to": turn.call.to_number, "menu": turn.menu_ref}
    return turn.respond(
        engine.start(turn.menu, turn.context), [{"kind": "incoming", "detail": detail}]
    )


@bp.post("/gather")
@voice_endpoint
def gather() -> Response:
    turn = Turn.load(request.args.get("m", ""))
    position = turn.position()
    digits = _field("Digits", 32)
    step = engine.press(turn.menu, turn.context, position, digits)
    event = {
        "kind": "keys" if digits else "timeout",
        "node": position.node,
        "digits": digits or None,
    }
    return turn.respond(step, [event])


@bp.post("/dial")
@voice_endpoint
def dial() -> Response:
    turn = Turn.load(request.args.get("m", ""))
    position = turn.position()
    status = _field("DialCallStatus", 20)
    if status in engine.ANSWERED_DIAL_STATUSES:
        calls.raise_outcome(turn.call, CallOutcome.ANSWERED)
    step = engine.dial_finished(turn.menu, turn.context, position, status)
    event = {
        "kind": "dial",
        "node": position.node,
        "detail": {"status": status, "ring": position.ring},
    }
    return turn.respond(step, [event])


def _recording_report(turn: Turn, position: Position) -> RecordingReport | None:
    sid = _field("RecordingSid")
    if not sid:
        return None
    duration = _field("RecordingDuration", 10)
    node = turn.menu.nodes.get(position.node)
    return RecordingReport(
        recording_sid=sid,
        recording_url=_field("RecordingUrl", 500),
        status=_field("RecordingStatus", 20),
        duration=int(duration) if duration.isdigit() else None,
        language=position.language if position.language in turn.menu.languages else "",
        node=node if isinstance(node, VoicemailNode) else None,
    )


def _ingest(turn: Turn, position: Position) -> int | None:
    """Record the voicemail (and open its ticket); the id to enqueue if it is new."""
    report = _recording_report(turn, position)
    if report is None:
        return None
    voicemail, created = voicemails.ingest(turn.session, turn.call, report, turn.now)
    calls.raise_outcome(turn.call, CallOutcome.VOICEMAIL)
    if created and voicemail.state is VoicemailState.RECEIVED:
        return voicemail.id
    return None


def _load_for_recording() -> Turn:
    """A recording is kept even when the menu named in its URL cannot be loaded."""
    try:
        return Turn.load(request.args.get("m", ""))
    except MenuPositionInvalid:
        log.warning("recording for CallSid %s names an unknown menu", _field("CallSid"))
        return Turn.load(menus.UNASSIGNED)


def _ingest_and_enqueue(turn: Turn, position: Position) -> None:
    """Commit the voicemail (and its ticket) before anything else can fail, then queue it."""
    new_voicemail = _ingest(turn, position)
    turn.session.commit()
    if new_voicemail is not None:
        enqueue_voicemail(current_app._get_current_object(), new_voicemail)  # type: ignore[attr-defined]


@bp.post("/recorded")
@voice_endpoint
def recorded() -> Response:
    """The <Record> action: the voicemail is recorded and queued, then the caller thanked."""
    turn = _load_for_recording()
    position = turn.position()
    _ingest_and_enqueue(turn, position)
    try:
        step = engine.recorded(turn.menu, turn.context, position)
    except MenuPositionInvalid:
        unassigned, _ = _load_menu(turn.session, menus.UNASSIGNED)
        step = engine.recorded(unassigned, turn.context, Position("record", "zh"))
    detail = {
        "recording_sid": _field("RecordingSid"),
        "duration": _field("RecordingDuration", 10),
        "fallback": request.args.get("fallback") == "1",
    }
    return turn.respond(step, [{"kind": "recorded", "node": position.node, "detail": detail}])


@bp.post("/recording")
def recording_status() -> Response:
    """Recording status callback: completed, or absent (the caller said nothing)."""
    try:
        turn = _load_for_recording()
        _ingest_and_enqueue(turn, turn.position())
    except Exception:
        # A 5xx makes Twilio retry; the <Record> action reports the same recording too.
        log.exception("recording callback failed (CallSid %s)", _field("CallSid"))
        get_session().rollback()
        return Response("recording callback failed\n", status=500, mimetype="text/plain")
    return xml(str(VoiceResponse()))


@bp.post("/status")
def status() -> Response:
    """Call status callback. Twilio reads nothing back, but a 5xx would be retried."""
    try:
        _apply_status()
    except Exception:
        log.exception("status callback failed (CallSid %s)", _field("CallSid"))
        get_session().rollback()
    return xml(str(VoiceResponse()))


def _apply_status() -> None:
    session = get_session()
    call_sid = _field("CallSid")
    if not call_sid:
        return
    now = utcnow()
    call, _ = calls.get_or_create_call(session, call_sid, _field("From", 32), _field("To", 32), now)
    ended = calls.apply_status(
        call, _field("CallStatus", 20), _field("CallDuration", 10), now, None
    )
    detail = {"status": _field("CallStatus", 20), "duration": _field("CallDuration", 10)}
    calls.log_events(session, call, request_key(), [{"kind": "status", "detail": detail}], now)
    if ended and call.outcome is CallOutcome.IN_PROGRESS:
        _abandoned(session, call, now)
    session.commit()


def _abandoned(session: Session, call: Call, now: datetime) -> None:
    """The caller hung up in the menu. If they had chosen a need, they are owed a call back."""
    call.outcome = CallOutcome.ABANDONED
    station_id = call.transferred_to_station_id or call.station_id
    station = session.get(Station, station_id) if station_id else None
    if not call.chosen_need or (station is not None and not station.ticket_on_abandon):
        return
    caller = session.get(Caller, call.caller_id) if call.caller_id else None
    open_or_merge_ticket(
        session,
        station=station,
        caller=caller,
        caller_number=call.from_number,
        source=TicketSource.ABANDONED,
        tags=[call.chosen_need, "abandoned"],
        now=now,
        data={"call_sid": call.call_sid, "last_node": call.last_node},
    )
