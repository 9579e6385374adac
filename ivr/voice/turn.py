"""One webhook request's footing: Twilio's fields read safely, the call, its menu, and the
caller's position; and the guard that turns any failure into spoken TwiML.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import wraps
from typing import Any

from flask import Response, current_app, g, request
from sqlalchemy.orm import Session

from ivr.calls import log as calls
from ivr.db import get_session
from ivr.menus import engine
from ivr.menus import versions as menus
from ivr.menus.document import Menu
from ivr.menus.engine import Position, Step
from ivr.menus.transfers import follow_transfers
from ivr.voice.twiml import VoiceUrls, anchor_plays, apology, render
from models import Call, CallOutcome, Station, utcnow

log = logging.getLogger(__name__)


class WebhookInvalid(Exception):
    """A signed request that still lacks what a webhook needs (e.g. a CallSid)."""


CONTROL_CHARACTERS = dict.fromkeys([*range(32), 127])


def form_field(name: str, limit: int = 64) -> str:
    """A form field as safe text: no control characters (PostgreSQL refuses NUL), bounded."""
    return request.form.get(name, "").translate(CONTROL_CHARACTERS).strip()[:limit]


def webhook_now() -> datetime:
    """When Twilio's request arrived: now, or the spooled time when it is replayed."""
    return g.get("webhook_now") or utcnow()


def xml(body: str) -> Response:
    return Response(body, mimetype="text/xml")


def voice_urls(menu_ref: str) -> VoiceUrls:
    return VoiceUrls(current_app.config["IVR"].public_url, menu_ref)


def voice_endpoint(view: Callable[[], Response]) -> Callable[[], Response]:
    """Turn any failure into spoken TwiML and a log line naming the call."""

    @wraps(view)
    def guarded() -> Response:
        try:
            return view()
        except Exception:
            log.exception("webhook %s failed (CallSid %s)", request.path, form_field("CallSid"))
            g.database_failed = True  # or something else did: no spool replay from here
            try:
                get_session().rollback()
            except Exception:
                log.exception("rollback failed after webhook error")
            offer_voicemail = request.endpoint != "voice.recorded"
            return xml(apology(voice_urls(menus.UNASSIGNED), offer_voicemail))

    return guarded


def load_call_menu(session: Session, ref: str) -> tuple[Menu, int | None]:
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
        call_sid = form_field("CallSid")
        if not call_sid:
            raise WebhookInvalid("no CallSid")
        now = webhook_now()
        call, _created = calls.get_or_create_call(
            session, call_sid, form_field("From", 32), form_field("To", 32), now
        )
        if menu_ref is None:
            home = session.get(Station, call.station_id) if call.station_id else None
            menu_ref = menus.menu_ref_for(session, home)
        menu, station_id = load_call_menu(session, menu_ref)
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
        elif isinstance(step.action, engine.Record):
            # Reached the voicemail: whatever order Twilio's callbacks come in (the status
            # callback may beat the recording's), this call was not abandoned.
            calls.raise_outcome(call, CallOutcome.VOICEMAIL)
        events = events + [{"kind": "node", "node": node} for node in step.visited]
        calls.log_events(self.session, call, request_key(), events, self.now)
        self.session.commit()
        return xml(render(step, voice_urls(self.menu_ref)))

    def _follow_transfers(self, step: Step, events: list[dict[str, Any]]) -> Step:
        followed, segments = follow_transfers(
            self.session,
            step,
            self.menu_ref,
            lambda station: calls.call_context(station, self.call.to_number, self.now),
            lambda ref: load_call_menu(self.session, ref)[0],
        )
        if len(segments) == 1:
            return step
        for segment in segments[1:]:
            assert segment.station is not None
            self.call.transferred_to_station_id = segment.station.id
            calls.raise_outcome(self.call, CallOutcome.TRANSFERRED)
            events.append({"kind": "transfer", "detail": {"to": segment.station.code}})
        # What each menu said before its hand-over plays from its own station's library.
        said = tuple(
            speech
            for segment in segments[:-1]
            for speech in anchor_plays(segment.step.speech, voice_urls(segment.menu_ref))
        )
        last = segments[-1]
        self.menu_ref, self.station = last.menu_ref, last.station
        self.menu, _ = load_call_menu(self.session, last.menu_ref)
        return replace(followed, speech=said + last.step.speech)
