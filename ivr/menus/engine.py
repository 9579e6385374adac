"""The menu engine: where a caller is, what they pressed, and what they hear next.

One engine serves the Twilio webhook, ``ivr simulate`` and the admin's test call. It is
pure: it takes a :class:`Menu`, the station's facts (:class:`CallContext`) and the
caller's position, and returns a :class:`Step` — what to say, then one action that waits
for the caller or the network. Rendering a Step as TwiML (or text, or HTML) is the
caller's business.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime

from ivr.menus.document import (
    DEFAULT_LANGUAGE_TIMEOUT,
    DEFAULT_MENU_TIMEOUT,
    PERSON_KEY,
    REPEAT_KEY,
    AnyNode,
    CallbackNode,
    ForwardNode,
    HangupNode,
    HoursNode,
    LanguageNode,
    Menu,
    MenuNode,
    MessageNode,
    Prompts,
    TransferNode,
    VoicemailNode,
)
from ivr.menus.hours import OpeningHours
from ivr.menus.menu_settings import person_on, repeat_on

# A validated menu has no cycle a caller can go round without pressing a key, so one
# step enters each node at most once; a menu that slipped past validation is stopped
# there rather than trapping the caller (or the process) in a loop.
ANSWERED_DIAL_STATUSES = frozenset({"completed", "answered"})


class MenuPositionInvalid(Exception):
    """A position names a node this menu lacks, or a language it does not offer."""


class MenuLoop(Exception):
    """The menu moved through too many nodes without waiting for the caller."""


@dataclass(frozen=True)
class CallContext:
    """What the engine needs to know about the station and the moment."""

    station_names: dict[str, str]  # by language, for "{station}" in prompts
    hotline_number: str
    on_duty_phones: tuple[str, ...]
    hours: OpeningHours
    now: datetime


@dataclass(frozen=True)
class CallerFacts:
    """What the caller registry says of the person calling, as far as the menu cares."""

    elderly: bool = False  # flagged lone_elderly: the menu's ``settings.elderly`` path
    language: str | None = None  # their preferred menu language, if known


@dataclass(frozen=True)
class Position:
    """Where a caller is: carried from one webhook request to the next in the URL."""

    node: str
    language: str
    attempt: int = 0  # replays so far at a menu or language node
    ring: int = 0  # which on-duty phone a sequential forward is ringing


@dataclass(frozen=True)
class Say:
    text: str
    language: str  # Twilio's <Say> language, e.g. "cmn-CN"
    voice: str
    rate: str | None = None  # SSML prosody rate ("85%", "slow"); None: the voice's own


@dataclass(frozen=True)
class Play:
    source: str  # a prompt-library file name or an https URL


Speech = Say | Play


@dataclass(frozen=True)
class Gather:
    """Say ``speech`` while waiting for one key, then report to ``position``."""

    position: Position
    speech: tuple[Speech, ...]
    timeout: int


@dataclass(frozen=True)
class Record:
    position: Position
    max_length: int
    tags: tuple[str, ...]
    priority: str


@dataclass(frozen=True)
class Dial:
    position: Position
    numbers: tuple[str, ...]
    caller_id: str
    timeout: int


@dataclass(frozen=True)
class Transfer:
    station: str


@dataclass(frozen=True)
class Hangup:
    pass


@dataclass(frozen=True)
class CallBack:
    """End the call at once and ring the caller back into ``enter`` (the call's language
    kept); ``line_open`` False: the station is closed, a call-back ticket instead. Whether
    the number may be rung (withheld, over ``limit`` an hour) is the call log's business."""

    position: Position  # the call-back node itself
    enter: str
    limit: int
    line_open: bool


Action = Gather | Record | Dial | Transfer | CallBack | Hangup


@dataclass(frozen=True)
class Step:
    speech: tuple[Speech, ...]  # said before the action
    action: Action
    visited: tuple[str, ...]  # node ids entered, in order
    language: str
    need: str | None = None  # the need the caller chose at this step, if any


@dataclass
class _Walk:
    menu: Menu
    context: CallContext
    language: str
    speech: list[Speech] = field(default_factory=list)
    visited: list[str] = field(default_factory=list)

    def enter(self, node_id: str) -> None:
        if len(self.visited) > len(self.menu.nodes):
            raise MenuLoop(f"entered {len(self.visited)} nodes without input, last {node_id!r}")
        self.visited.append(node_id)

    def say(self, prompts: Prompts, node: AnyNode | None = None) -> tuple[Speech, ...]:
        """``prompts`` in the call's language, at ``node``'s speech rate (or the menu's)."""
        prompt = prompts.get(self.language)
        if not prompt:
            return ()
        return _render(self.menu, self.context, self.language, prompt, _rate(self.menu, node))

    def step(self, action: Action, need: str | None = None) -> Step:
        return Step(tuple(self.speech), action, tuple(self.visited), self.language, need)


def _render(  # type: ignore[no-untyped-def]
    menu: Menu, context: CallContext, language: str, prompt, rate: str | None
) -> tuple[Speech, ...]:
    if prompt.play:
        return (Play(prompt.play),)
    voice = menu.voice_for(language)
    name = context.station_names.get(language) or next(iter(context.station_names.values()), "")
    text = (prompt.say or "").replace("{station}", name)
    return (Say(text, voice.language, prompt.voice or voice.voice, rate),)


def _rate(menu: Menu, node: AnyNode | None) -> str | None:
    rate = (node.speech_rate if node is not None else None) or menu.settings.speech_rate
    return None if rate in (None, "100%", "medium") else rate


def _timeout(menu: Menu, node: MenuNode | LanguageNode) -> int:
    if node.timeout is not None:
        return node.timeout
    if menu.settings.key_timeout is not None:
        return menu.settings.key_timeout
    return DEFAULT_MENU_TIMEOUT if isinstance(node, MenuNode) else DEFAULT_LANGUAGE_TIMEOUT


def _hints(walk: _Walk, node: MenuNode) -> tuple[Speech, ...]:
    """After a menu's prompt: how to reach a person (in opening hours) and to hear it
    again, unless the menu offers that key itself (its prompt then says so)."""
    settings = walk.menu.settings
    said: tuple[Speech, ...] = ()
    person = settings.person_key
    offered = person is not None and person_on(settings, node) and PERSON_KEY not in node.options
    if offered and walk.context.hours.is_open(walk.context.now):
        assert person is not None
        said += walk.say(person.prompt, node)
    if settings.repeat_key is not None and repeat_on(settings, node):
        said += walk.say(settings.repeat_key, node)
    return said


def start(menu: Menu, context: CallContext, caller: CallerFacts | None = None) -> Step:
    """The first step of a call: walk from the start node in the first language; a caller
    the registry flags as elderly, where the menu has an elderly path, is greeted in their
    own language and taken along it instead."""
    path = menu.settings.elderly
    if path is None or caller is None or not caller.elderly:
        return _enter(_Walk(menu, context, menu.languages[0]), menu.start)
    language = caller.language if caller.language in menu.languages else menu.languages[0]
    walk = _Walk(menu, context, language)
    walk.speech.extend(walk.say(path.prompt))
    return _enter(walk, path.next)


def takes_elderly_path(menu: Menu, caller: CallerFacts | None) -> bool:
    return menu.settings.elderly is not None and caller is not None and caller.elderly


def continue_at(menu: Menu, context: CallContext, node: str, language: str) -> Step:
    """Enter ``node`` afresh, e.g. after a transfer into this menu."""
    if language not in menu.languages:
        language = menu.languages[0]
    return _enter(_Walk(menu, context, language), _checked(menu, node))


def _checked(menu: Menu, node_id: str) -> str:
    if node_id not in menu.nodes:
        raise MenuPositionInvalid(f"no node {node_id!r} in this menu")
    return node_id


def _enter(walk: _Walk, node_id: str, need: str | None = None) -> Step:
    while True:
        node = walk.menu.nodes[node_id]
        walk.enter(node_id)
        here = Position(node_id, walk.language)
        if isinstance(node, MessageNode):
            walk.speech.extend(walk.say(node.prompt, node))
            node_id = node.next
        elif isinstance(node, HoursNode):
            node_id = node.open if walk.context.hours.is_open(walk.context.now) else node.closed
        elif isinstance(node, MenuNode):
            speech = walk.say(node.prompt, node) + _hints(walk, node)
            return walk.step(Gather(here, speech, _timeout(walk.menu, node)), need)
        elif isinstance(node, LanguageNode):
            rate = _rate(walk.menu, node)
            speech = tuple(
                s
                for lang in walk.menu.languages
                if lang in node.prompt
                for s in _render(walk.menu, walk.context, lang, node.prompt[lang], rate)
            )
            return walk.step(Gather(here, speech, _timeout(walk.menu, node)), need)
        elif isinstance(node, VoicemailNode):
            walk.speech.extend(walk.say(node.prompt, node))
            return walk.step(Record(here, node.max_length, node.tags, node.priority), need)
        elif isinstance(node, ForwardNode):
            return _forward(walk, node, 0, need)
        elif isinstance(node, TransferNode):
            walk.speech.extend(walk.say(node.prompt, node))
            return walk.step(Transfer(node.station), need)
        elif isinstance(node, CallbackNode):
            walk.speech.extend(walk.say(node.prompt, node))
            line_open = walk.context.hours.is_open(walk.context.now)
            return walk.step(CallBack(here, node.next, node.limit, line_open), need)
        elif isinstance(node, HangupNode):
            walk.speech.extend(walk.say(node.prompt, node))
            return walk.step(Hangup(), need)
        else:  # pragma: no cover - the document has no other kinds
            raise MenuPositionInvalid(f"node {node_id!r} has an unknown kind")


def _forward(walk: _Walk, node: ForwardNode, ring: int, need: str | None) -> Step:
    phones = walk.context.on_duty_phones
    if ring >= len(phones):
        return _enter(walk, node.no_answer, need)
    if ring == 0:
        walk.speech.extend(walk.say(node.prompt, node))
    numbers = phones if node.strategy == "simultaneous" else (phones[ring],)
    position = Position(node.id, walk.language, ring=ring)
    dial = Dial(position, numbers, walk.context.hotline_number, node.timeout)
    return walk.step(dial, need)


def press(menu: Menu, context: CallContext, position: Position, digits: str | None) -> Step:
    """The caller pressed ``digits`` (or nothing, on a timeout) at a menu or language node."""
    node = menu.nodes[_checked(menu, position.node)]
    language = position.language if position.language in menu.languages else menu.languages[0]
    walk = _Walk(menu, context, language)
    key = (digits or "").strip()
    settings = menu.settings
    if isinstance(node, LanguageNode | MenuNode) and len(key) == 1:
        taken = node.choices if isinstance(node, LanguageNode) else node.options
        if key == REPEAT_KEY and key not in taken and repeat_on(settings, node):
            return _replay(walk, node.id, position.attempt)  # asked to hear it: no attempt used
        person = settings.person_key
        if key == PERSON_KEY and key not in taken and person_on(settings, node) and person:
            return _enter(walk, person.next)
    if isinstance(node, LanguageNode):
        chosen = node.choices.get(key) if len(key) == 1 else None
        if chosen is None and position.attempt < node.repeat:
            return _replay(walk, node.id, position.attempt + 1)
        walk.language = chosen or menu.languages[0]
        return _enter(walk, node.next)
    if not isinstance(node, MenuNode):
        raise MenuPositionInvalid(f"node {node.id!r} does not take keys")
    option = node.options.get(key) if len(key) == 1 else None
    if option is not None:
        return _enter(walk, option.next, option.need)
    if position.attempt >= node.repeat:
        return _enter(walk, node.fallback)
    if key:  # a wrong key, not silence: say so before the replay
        walk.speech.extend(walk.say(node.invalid, node))
    return _replay(walk, node.id, position.attempt + 1)


def _replay(walk: _Walk, node_id: str, attempt: int) -> Step:
    step = _enter(walk, node_id)
    gather = step.action
    assert isinstance(gather, Gather)
    return replace(step, action=replace(gather, position=replace(gather.position, attempt=attempt)))


def dial_finished(menu: Menu, context: CallContext, position: Position, status: str) -> Step:
    """A forward's <Dial> ended with ``status`` (Twilio's DialCallStatus)."""
    node = menu.nodes[_checked(menu, position.node)]
    if not isinstance(node, ForwardNode):
        raise MenuPositionInvalid(f"node {node.id!r} does not dial")
    walk = _Walk(menu, context, position.language)
    if status in ANSWERED_DIAL_STATUSES:
        walk.enter(node.id)
        return walk.step(Hangup())
    if node.strategy == "simultaneous":
        return _enter(walk, node.no_answer)
    return _forward(walk, node, position.ring + 1, None)


def recorded(menu: Menu, context: CallContext, position: Position) -> Step:
    """The caller finished a voicemail: thank them and end."""
    node = menu.nodes[_checked(menu, position.node)]
    if not isinstance(node, VoicemailNode):
        raise MenuPositionInvalid(f"node {node.id!r} does not record")
    walk = _Walk(menu, context, position.language)
    walk.speech.extend(walk.say(node.thanks, node))
    return walk.step(Hangup())
