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
from ivr.calls import steps
from ivr.calls.steps import CallRow
from ivr.calls.steps_postgres import StationsMoved
from ivr.db import get_session
from ivr.jobs import enqueue_ring_back
from ivr.menus import engine
from ivr.menus import versions as menus
from ivr.menus.document import Menu
from ivr.menus.engine import Position, Step
from ivr.menus.transfers import follow_transfers
from ivr.stations.directory import StationFacts, Stations, directory
from ivr.voice import callback_step
from ivr.voice.lean_step import LeanStep
from ivr.voice.twiml import VoiceUrls, anchor_plays, apology, render_step
from models import CallOutcome, utcnow

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
    """Turn any failure into spoken TwiML and a log line naming the call.

    A lean step whose stations changed under it (:class:`StationsMoved`: it wrote
    nothing) is done once more, checking the station cache first.
    """

    @wraps(view)
    def guarded() -> Response:
        try:
            try:
                return view()
            except StationsMoved:
                get_session().rollback()  # whatever else the step did goes too
                g.check_stations_first = True
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
    """One webhook request's work: the call, its menu, and where the caller is.

    Stations come from the process's cache (``ivr.stations.directory``), published menus
    are parsed once per process, and the call is written when the step is answered: in
    two or three plain statements (``ivr.calls.steps``), or for the call's own steps on
    PostgreSQL in one (``ivr.voice.lean_step``); it is read only by the webhooks that
    need more of it than its CallSid (recordings).
    """

    session: Session
    stations: Stations
    arrival: steps.Arrival
    incoming: bool  # the call's first webhook, usually: try inserting it first
    menu_ref: str
    menu: Menu
    station: StationFacts | None
    transferred_to: int | None = None
    caller: steps.CallerRow | None = None  # read by an incoming call, before its first step
    lean: LeanStep | None = None  # PostgreSQL: the step in one statement (``lean_step``)

    @classmethod
    def load(cls, menu_ref: str | None = None, outbound: bool = False, lean: bool = False) -> Turn:
        """The footing for this request; ``menu_ref`` None: the station's live menu, for
        the number dialled (an incoming call). ``outbound``: the hotline rang the resident
        (a call back), so Twilio's From is the hotline and To the resident. ``lean``: the
        view writes only through :meth:`respond` or :meth:`record` (and may be redone,
        see :func:`voice_endpoint`), so on PostgreSQL its step is written by
        ``ivr.calls.steps_postgres``."""
        call_sid = form_field("CallSid")
        if not call_sid:
            raise WebhookInvalid("no CallSid")
        session = get_session()
        resident, hotline = form_field("From", 32), form_field("To", 32)
        if outbound:
            resident, hotline = hotline, resident
        arrival = steps.Arrival(call_sid, resident, hotline, webhook_now())
        incoming = menu_ref is None
        connection = session.connection()
        if lean and connection.dialect.name == "postgresql":
            stations, lean_step = LeanStep.footing(connection, arrival, incoming)
        else:
            stations, lean_step = directory().stations(connection), None
        if menu_ref is None:
            home = stations.for_number(session, arrival.to_number)
            menu_ref = home.menu_ref if home is not None else menus.UNASSIGNED
        menu, station_id = load_call_menu(session, menu_ref)
        station = stations.get(session, station_id) if station_id else None
        return cls(session, stations, arrival, incoming, menu_ref, menu, station, lean=lean_step)

    @property
    def now(self) -> datetime:
        return self.arrival.at

    @property
    def to_number(self) -> str:
        return self.arrival.to_number

    def read_caller(self) -> engine.CallerFacts:
        """The resident calling, as the registry knows them: upserted now (the statement
        the call's insert would run anyway, so a call costs no extra query), or on a lean
        step as read with the station counter (and upserted with the call)."""
        if self.lean is not None and self.lean.caller is not None:
            return self.lean.caller
        connection = self.session.connection()
        self.caller = steps.caller_for(connection, self.arrival.from_number, self.now)
        return self.caller.facts

    def call(self) -> CallRow:
        """The call as stored (opened now if this is its first request)."""
        connection = self.session.connection()
        row, _opened = steps.find_or_open_call(
            connection, self.stations, self.session, self.arrival
        )
        return row

    @property
    def context(self) -> engine.CallContext:
        return self._context_for(self.station)

    def _context_for(self, station: StationFacts | None) -> engine.CallContext:
        if station is None:
            return calls.no_station_context(self.to_number, self.now)
        return station.context(self.to_number, self.now)

    def position(self) -> Position:
        args = request.args
        attempt, ring = args.get("a", "0"), args.get("r", "0")
        return Position(
            node=args.get("n", "")[:100],
            language=args.get("l", "")[:8],
            attempt=_small_number(attempt),
            ring=_small_number(ring),
        )

    def raise_outcome(self, outcome: CallOutcome) -> None:
        """Raise the call's outcome now (it never goes down), in this transaction."""
        self._write(steps.StepWrite(outcome=outcome), "", [])

    def record(self, write: steps.StepWrite, events: list[dict[str, Any]]) -> None:
        """Log this request's step without answering it from the menu (once per request)."""
        self._write(write, request_key(), events)

    def respond(
        self, step: Step, events: list[dict[str, Any]], outcome: CallOutcome | None = None
    ) -> Response:
        """Follow transfers, log the step once per request, and answer with TwiML.

        ``outcome``: what the request itself showed (a forward answered); the step's own
        action and any transfer may raise it further.
        """
        step = self._follow_transfers(step, events)
        render_ref, ring = self.menu_ref, None
        if isinstance(step.action, engine.CallBack):
            answered = callback_step.answer(
                self.session,
                self.station.id if self.station is not None else None,
                self.arrival,
                self.menu,
                self.menu_ref,
                step,
            )
            step, render_ref, ring = answered.step, answered.menu_ref, answered.ring
            events = [*events, answered.event]
        reached = [outcome] if outcome is not None else []
        if self.transferred_to is not None:
            reached.append(CallOutcome.TRANSFERRED)
        if isinstance(step.action, engine.Hangup):
            reached.append(CallOutcome.COMPLETED)
        elif isinstance(step.action, engine.Record):
            # Reached the voicemail: whatever order Twilio's callbacks come in (the status
            # callback may beat the recording's), this call was not abandoned.
            reached.append(CallOutcome.VOICEMAIL)
        write = steps.StepWrite(
            last_node=step.visited[-1] if step.visited else None,
            language=step.language,
            need=step.need,
            transferred_to=self.transferred_to,
            outcome=max(reached, key=steps.OUTCOME_RANK.__getitem__, default=None),
        )
        events = events + [{"kind": "node", "node": node} for node in step.visited]
        self._write(write, request_key(), events)
        self.session.commit()
        if ring is not None:  # rung from a job, now that the request is committed
            enqueue_ring_back(current_app._get_current_object(), ring)  # type: ignore[attr-defined]
        return xml(render_step(step, current_app.config["IVR"].public_url, render_ref))

    def _write(self, write: steps.StepWrite, key: str, events: list[dict[str, Any]]) -> None:
        """The step on the call: an update, or for the call's first request an insert
        (or, on a lean step, the one statement that does either)."""
        connection, sid, now = self.session.connection(), self.arrival.call_sid, self.now
        if self.lean is not None:
            args = (self.session, self.stations, self.arrival, self.incoming)
            if self.lean.write(connection, *args, write, key, events):
                return
        elif not self.incoming and steps.record_step(connection, sid, write, key, events, now):
            return
        call_id = steps.open_call(
            connection, self.stations, self.session, self.arrival, write, self.caller
        )
        if call_id is not None:
            steps.log_events(connection, call_id, key, events, now)
            return
        # It existed: a retry, a status callback that came first, or a concurrent insert.
        call_id = steps.record_step(connection, sid, write, key, events, now)
        assert call_id is not None, "the call exists: its insert conflicted"

    def _follow_transfers(self, step: Step, events: list[dict[str, Any]]) -> Step:
        if not isinstance(step.action, engine.Transfer):
            return step
        session, stations = self.session, self.stations

        def find(code: str) -> tuple[StationFacts, str] | None:
            target = stations.for_code(session, code)
            return (target, target.menu_ref) if target is not None and target.active else None

        followed, segments = follow_transfers(
            step,
            self.menu_ref,
            find,
            self._context_for,
            lambda ref: load_call_menu(session, ref)[0],
        )
        for segment in segments[1:]:
            assert segment.station is not None
            self.transferred_to = segment.station.id
            events.append({"kind": "transfer", "detail": {"to": segment.station.code}})
        # What each menu said before its hand-over plays from its own station's library.
        said = tuple(
            speech
            for segment in segments[:-1]
            for speech in anchor_plays(segment.step.speech, voice_urls(segment.menu_ref))
        )
        last = segments[-1]
        self.menu_ref, self.station = last.menu_ref, last.station
        self.menu, _ = load_call_menu(session, last.menu_ref)
        return replace(followed, speech=said + last.step.speech)


def url_number(text: str, max_digits: int = 4) -> int | None:
    """A number from the URL: plain ASCII digits, at most ``max_digits`` of them, or None.
    (``²`` and ``٣`` pass ``str.isdigit()``, and ``int()`` takes ``٣`` but not ``²``.)"""
    if text.isascii() and text.isdigit() and len(text) <= max_digits:
        return int(text)
    return None


def _small_number(text: str) -> int:
    """A counter from the URL; anything else counts as 0."""
    return url_number(text) or 0
