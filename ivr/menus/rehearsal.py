"""The admin's test call: a station's menu played from a web page, writing nothing.

It drives the very engine functions the Twilio webhooks call (``engine.start``,
``press``, ``dial_finished``, ``recorded`` and, across a transfer, ``continue_at``) with
the station's facts from ``calls.call_context`` at a simulated moment, and optionally a
caller's number, recognised in the registry as the webhook would (the elderly path).
Between steps the call lives in the page (hidden fields), so all of it is checked again
when it comes back. Nothing is written to the database: no call, voicemail or ticket.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.calls import log as calls
from ivr.menus import engine
from ivr.menus import versions as menus
from ivr.menus.document import DTMF_KEYS, ForwardNode, Menu, TransferNode, VoicemailNode
from ivr.menus.engine import CallContext, MenuPositionInvalid, Play, Position, Speech, Step
from ivr.menus.prompts import prompt_names
from ivr.menus.rehearsal_callers import caller_entry, known_caller
from ivr.menus.sources import MenuSource
from ivr.menus.transfers import active_station_in, follow_transfers
from ivr.menus.validate import MenuInvalid, parse_menu
from models import MenuVersion, Station

MAX_TRANSCRIPT_CHARS = 30_000  # the conversation carried in the page, as JSON
MAX_REPLAYS = 50
MAX_TRANSFER_HOPS = 16  # how far a test call looks for menus it may have been transferred to
NEED = re.compile(r"[a-z0-9_-]{1,64}")
ENTRY_TYPES = frozenset(
    {"heard", "pressed", "silence", "answered", "no_answer", "recorded", "transfer", "outcome"}
    | {"truncated", "caller"}
)


class TestCallInvalid(Exception):
    """What the page sent back cannot continue a test call; the message says why."""


@dataclass(frozen=True)
class CallState:
    """Everything a test call carries from one step to the next."""

    origin: str  # the menu reference tested (v<id> or d<station id>)
    menu: str  # the menu the caller is in now: another station's after a transfer
    position: Position | None  # None once the call has ended
    need: str | None  # the need chosen so far, as the webhook keeps on the call
    at: datetime  # the simulated moment (timezone-aware)
    transcript: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Progress:
    """A test call after one step: its state and what waits for the admin."""

    state: CallState
    action: engine.Gather | engine.Record | engine.Dial | None  # None: ended
    tags: tuple[str, ...] = ()  # what a voicemail left here would be tagged

    @property
    def waiting_for(self) -> str | None:
        """``gather``, ``record`` or ``dial``; None once the call has ended."""
        return type(self.action).__name__.lower() if self.action is not None else None


@dataclass
class _Segment:
    """What the caller hears in one menu during one step (a transfer starts another)."""

    menu: str
    speech: list[Speech]
    visited: list[str]
    station: Station | None = None  # the station transferred to, for all but the first


def check_menu(session: Session, station: Station, source: MenuSource) -> Menu:
    """The tested menu, validated as for publishing; :class:`MenuInvalid` if it fails."""
    return parse_menu(
        source.document,
        known_stations=menus.known_station_codes(session),
        known_prompts=prompt_names(session, station.id),
    ).menu


def begin(
    session: Session,
    station: Station,
    source: MenuSource,
    at: datetime,
    caller_number: str | None = None,
) -> Progress:
    """Ring the station's number at ``at`` with the menu ``source`` holds, from
    ``caller_number`` (E.164) if given: a resident the registry knows at this station is
    recognised as the webhook recognises them."""
    menu = check_menu(session, station, source)
    context = calls.call_context(station, hotline_number(station), at)
    state = CallState(source.ref, source.ref, None, None, at, ())
    did: list[dict[str, Any]] = []
    caller = None
    if caller_number:
        caller = known_caller(session, station, caller_number)
        did.append(caller_entry(caller_number, caller, engine.takes_elderly_path(menu, caller)))
    return _after(session, station, state, engine.start(menu, context, caller), did)


def advance(
    session: Session, station: Station, state: CallState, event: str, key: str = ""
) -> Progress:
    """The admin did ``event`` (pressed ``key``, said nothing, answered, …) at the position."""
    position = state.position
    if position is None:
        raise TestCallInvalid("the call has ended")
    menu, here = _load(session, station, state)
    if position.language not in menu.languages:
        raise MenuPositionInvalid(f"language {position.language!r} is not offered")
    context = calls.call_context(here, hotline_number(station), state.at)
    if event == "key":
        if key not in DTMF_KEYS:
            raise TestCallInvalid(f"{key!r} is not a phone key")
        step = engine.press(menu, context, position, key)
        did: dict[str, Any] = {"type": "pressed", "key": key, "node": position.node}
    elif event == "silence":
        step = engine.press(menu, context, position, None)
        did = {"type": "silence", "node": position.node}
    elif event in ("answered", "no_answer"):
        numbers = _ringing(menu, context, position)
        status = "completed" if event == "answered" else "no-answer"
        step = engine.dial_finished(menu, context, position, status)
        did = {"type": event, "numbers": list(numbers)}
    elif event == "recorded":
        step = engine.recorded(menu, context, position)
        did = {"type": "recorded", **_voicemail(menu, position, state.need)}
    else:
        raise TestCallInvalid(f"unknown event {event!r}")
    return _after(session, station, state, step, [did])


def _load(session: Session, station: Station, state: CallState) -> tuple[Menu, Station]:
    """The menu the caller is in and its station, if this test call may be in it."""
    if not _own_menu(session, station, state.origin):
        raise TestCallInvalid(f"menu {state.origin!r} is not this station's")
    if state.menu != state.origin and state.menu not in _transfer_menus(session, state.origin):
        raise TestCallInvalid(f"menu {state.menu!r} is not part of this test call")
    try:
        menu, station_id = menus.load_menu(session, state.menu)
    except MenuInvalid as error:
        raise TestCallInvalid(f"menu {state.menu!r} is not valid: {error}") from None
    here = session.get(Station, station_id) if station_id else None
    if here is None:
        raise TestCallInvalid(f"menu {state.menu!r} belongs to no station")
    return menu, here


def _own_menu(session: Session, station: Station, ref: str) -> bool:
    """Whether ``ref`` names one of the station's own versions, or its default menu."""
    if ref == f"d{station.id}":
        return True
    if not ref.startswith("v") or not (ref[1:].isascii() and ref[1:].isdigit()) or len(ref) > 12:
        return False
    version = session.get(MenuVersion, int(ref[1:]))
    return version is not None and version.station_id == station.id


def _transfer_menus(session: Session, origin: str) -> set[str]:
    """The live menus a caller can reach from ``origin`` by transfers (over several steps)."""
    found: set[str] = set()
    frontier = [origin]
    for _ in range(MAX_TRANSFER_HOPS):
        if not frontier:
            break
        codes = set()
        for ref in frontier:
            try:
                menu, _station = menus.load_menu(session, ref)
            except (MenuInvalid, MenuPositionInvalid):
                continue
            codes |= {n.station for n in menu.nodes.values() if isinstance(n, TransferNode)}
        targets = session.scalars(select(Station).where(Station.code.in_(sorted(codes))))
        frontier = [menus.menu_ref_for(session, t) for t in targets if t.active]
        frontier = [ref for ref in frontier if ref not in found]
        found.update(frontier)
    return found


def hotline_number(station: Station) -> str:
    """The number the test call "dials": the station's first hotline number."""
    return station.hotline_numbers[0].number if station.hotline_numbers else ""


def _ringing(menu: Menu, context: CallContext, position: Position) -> tuple[str, ...]:
    node = menu.nodes.get(position.node)
    if not isinstance(node, ForwardNode):
        raise MenuPositionInvalid(f"node {position.node!r} does not dial")
    phones = context.on_duty_phones
    return phones if node.strategy == "simultaneous" else phones[position.ring : position.ring + 1]


def _voicemail(menu: Menu, position: Position, need: str | None) -> dict[str, Any]:
    node = menu.nodes.get(position.node)
    if not isinstance(node, VoicemailNode):
        raise MenuPositionInvalid(f"node {position.node!r} does not record")
    return {"tags": list(voicemail_tags(node.tags, need)), "priority": node.priority}


def voicemail_tags(tags: tuple[str, ...], need: str | None) -> tuple[str, ...]:
    """A voicemail's tags as its ticket gets them from the menu: the node's, then the need."""
    return tuple(dict.fromkeys([*tags, *([need] if need else [])]))


def _after(
    session: Session, station: Station, state: CallState, step: Step, did: list[dict[str, Any]]
) -> Progress:
    """Follow transfers, write the step into the transcript, and say what comes next."""
    hotline = hotline_number(station)
    step, followed = follow_transfers(
        step,
        state.menu,
        active_station_in(session),
        lambda target: calls.call_context(target, hotline, state.at),
        lambda ref: menus.load_menu(session, ref)[0],
    )
    segments = [
        _Segment(s.menu_ref, list(s.step.speech), list(s.step.visited), s.station) for s in followed
    ]
    action = step.action
    if isinstance(action, engine.Gather):
        segments[-1].speech.extend(action.speech)
    entries = list(did)
    for segment in segments:
        if segment.station is not None:
            target = segment.station
            entries.append({"type": "transfer", "station": target.code, "name": target.name_zh})
        entries.append(
            {
                "type": "heard",
                "nodes": segment.visited,
                "speech": [speech_entry(s, segment.menu) for s in segment.speech],
            }
        )
    need = step.need or state.need
    tags: tuple[str, ...] = ()
    waiting: engine.Gather | engine.Record | engine.Dial | None = None
    if isinstance(action, engine.Gather | engine.Record | engine.Dial):
        waiting = action
        position: Position | None = action.position
        if isinstance(action, engine.Record):
            tags = voicemail_tags(action.tags, need)
    elif isinstance(action, engine.CallBack):
        position = None
        entries.append(_callback(action, hotline, [*state.transcript, *entries]))
    else:
        position = None
        entries.append(_outcome(did[-1] if did else {}))
    transcript = capped([*state.transcript, *entries])
    new_state = replace(
        state, menu=segments[-1].menu, position=position, need=need, transcript=transcript
    )
    return Progress(new_state, waiting, tags)


def _outcome(last: dict[str, Any]) -> dict[str, Any]:
    if last.get("type") == "recorded":
        return {"type": "outcome", "kind": "voicemail", **_pick(last, "tags", "priority")}
    if last.get("type") == "answered":
        return {"type": "outcome", "kind": "forwarded", "numbers": last.get("numbers", [])}
    return {"type": "outcome", "kind": "hung_up"}


def _callback(
    action: engine.CallBack, hotline: str, so_far: list[dict[str, Any]]
) -> dict[str, Any]:
    """What the webhook would do: ring the caller back into ``action.enter`` from the
    hotline in about a minute (the number tested with, if any), or open a ticket."""
    number = next((e["number"] for e in so_far if e.get("type") == "caller"), "")
    return {
        "type": "outcome",
        "kind": "callback" if action.line_open else "callback_ticket",
        "number": number,
        "hotline": hotline,
        "node": action.enter,
    }


def _pick(entry: dict[str, Any], *names: str) -> dict[str, Any]:
    return {name: entry[name] for name in names if name in entry}


def speech_entry(speech: Speech, menu_ref: str) -> dict[str, str]:
    if isinstance(speech, Play):
        return {"play": speech.source, "menu": menu_ref}
    said = {"say": speech.text, "language": speech.language, "voice": speech.voice}
    return said | ({"rate": speech.rate} if speech.rate else {})


def capped(entries: list[dict[str, Any]]) -> tuple[dict[str, Any], ...]:
    """The transcript, oldest entries dropped (and a marker left) to keep the page small."""
    kept = [e for e in entries if e.get("type") != "truncated"]
    dropped = False
    while kept and len(dump_transcript(tuple(kept))) > MAX_TRANSCRIPT_CHARS:
        kept.pop(0)
        dropped = True
    if dropped or len(kept) < len(entries):
        kept.insert(0, {"type": "truncated"})
    return tuple(kept)


def dump_transcript(transcript: tuple[dict[str, Any], ...]) -> str:
    return json.dumps(list(transcript), ensure_ascii=False, separators=(",", ":"))


def read_transcript(text: str) -> tuple[dict[str, Any], ...]:
    """The transcript a page sent back; :class:`TestCallInvalid` unless it is well formed."""
    if len(text) > 2 * MAX_TRANSCRIPT_CHARS:
        raise TestCallInvalid("the conversation so far is too long")
    try:
        entries = json.loads(text or "[]")
    except (ValueError, RecursionError):
        raise TestCallInvalid("the conversation so far cannot be read") from None
    if not isinstance(entries, list) or not all(_entry_ok(e) for e in entries):
        raise TestCallInvalid("the conversation so far cannot be read")
    return tuple(entries)


def _entry_ok(entry: object) -> bool:
    if not isinstance(entry, dict) or entry.get("type") not in ENTRY_TYPES:
        return False
    for value in entry.values():
        items = value if isinstance(value, list) else [value]
        for item in items:
            if isinstance(item, dict):
                if not all(isinstance(v, str) for v in item.values()):
                    return False
            elif not isinstance(item, str):
                return False
    return True


def read_position(node: str, language: str, attempt: str, ring: str) -> Position:
    """A position from the page's fields; :class:`TestCallInvalid` for malformed ones."""
    counts = []
    for text in (attempt or "0", ring or "0"):
        if not (text.isascii() and text.isdigit() and len(text) < 4) or int(text) > MAX_REPLAYS:
            raise TestCallInvalid(f"{text!r} is not a small count")
        counts.append(int(text))
    if not node or len(node) > 100 or not language or len(language) > 8:
        raise TestCallInvalid("the position in the menu is missing")
    return Position(node, language, counts[0], counts[1])


def read_need(text: str) -> str | None:
    if not text:
        return None
    if not NEED.fullmatch(text):
        raise TestCallInvalid(f"{text!r} is not a need")
    return text
