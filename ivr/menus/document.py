"""A station's menu as typed data: what ``validate.parse_menu`` returns from YAML.

Every kind of node is a frozen dataclass; a :class:`Menu` maps node ids to nodes. The
engine walks these; the validator is the only thing that builds them from text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

DTMF_KEYS = tuple("0123456789*#")
REPEAT_KEY = "*"  # with ``settings.repeat_key``: hear the menu again
PERSON_KEY = "0"  # with ``settings.person_key``: to a person, from any menu
DEFAULT_MENU_TIMEOUT = 6  # seconds a menu waits for a key, unless told otherwise
DEFAULT_LANGUAGE_TIMEOUT = 5
PRIORITIES = ("urgent", "high", "normal", "low")
FORWARD_STRATEGIES = ("sequential", "simultaneous")

# Twilio <Say> language and a default voice for each menu language.
DEFAULT_VOICES: dict[str, tuple[str, str]] = {
    "zh": ("cmn-CN", "Google.cmn-CN-Standard-A"),
    "yue": ("yue-HK", "Google.yue-HK-Standard-A"),
    "en": ("en-US", "Google.en-US-Standard-C"),
}


@dataclass(frozen=True)
class Prompt:
    """What a caller hears in one language: TTS text, or an audio file played."""

    say: str | None = None
    play: str | None = None  # a file in the station's prompt library, by name
    voice: str | None = None  # overrides the menu's voice for this language


Prompts = dict[str, Prompt]  # by language code


@dataclass(frozen=True)
class Voice:
    language: str  # Twilio's language attribute, e.g. "cmn-CN"
    voice: str  # Twilio's voice attribute, e.g. "Google.cmn-CN-Standard-A"


@dataclass(frozen=True)
class Option:
    key: str
    next: str
    need: str | None = None  # the need tag this choice implies, e.g. "food"


@dataclass(frozen=True)
class Node:
    id: str
    prompt: Prompts = field(default_factory=dict)
    speech_rate: str | None = None  # overrides ``settings.speech_rate`` for this node


@dataclass(frozen=True)
class MenuNode(Node):
    """Say the prompt, wait for one key; repeat on no or invalid input, then fall back."""

    kind: Literal["menu"] = "menu"
    options: dict[str, Option] = field(default_factory=dict)
    repeat: int = 2  # replays after the first try
    timeout: int | None = None  # seconds to wait for a key; None: the menu's setting
    fallback: str = ""
    invalid: Prompts = field(default_factory=dict)  # said before a replay
    repeat_key: bool = True  # False: ``settings.repeat_key`` is off at this node
    person_key: bool = True  # False: ``settings.person_key`` is off at this node


@dataclass(frozen=True)
class LanguageNode(Node):
    """Every language's prompt in turn ("普通话请按1 …"); the key picks the language."""

    kind: Literal["language"] = "language"
    choices: dict[str, str] = field(default_factory=dict)  # key → language code
    next: str = ""
    repeat: int = 1
    timeout: int | None = None
    repeat_key: bool = True
    person_key: bool = True
    # With no valid key after the replays, the menu's first language is used.


@dataclass(frozen=True)
class MessageNode(Node):
    """Say or play information, then go on without waiting for a key."""

    kind: Literal["message"] = "message"
    next: str = ""


@dataclass(frozen=True)
class VoicemailNode(Node):
    """Prompt, beep, record; thank the caller and end. The need is kept for the ticket."""

    kind: Literal["voicemail"] = "voicemail"
    max_length: int = 120  # seconds
    tags: tuple[str, ...] = ()
    priority: str = "normal"
    thanks: Prompts = field(default_factory=dict)


@dataclass(frozen=True)
class ForwardNode(Node):
    """Ring the on-duty phones; on no answer or busy, go to ``no_answer``."""

    kind: Literal["forward"] = "forward"
    strategy: str = "sequential"
    timeout: int = 20  # seconds each phone (or all together) may ring
    no_answer: str = ""


@dataclass(frozen=True)
class TransferNode(Node):
    """Hand the caller to another station's published menu (a referral by area)."""

    kind: Literal["transfer"] = "transfer"
    station: str = ""  # the other station's code


@dataclass(frozen=True)
class HoursNode(Node):
    """Branch on the station's opening hours, holidays and 24-hour mode."""

    kind: Literal["hours"] = "hours"
    open: str = ""
    closed: str = ""


@dataclass(frozen=True)
class CallbackNode(Node):
    """ "Press 1 and hang up; we will call you back": the prompt, then the call ends and the
    hotline rings the caller back into ``next`` (a call-back ticket when the line is
    closed), at most ``limit`` times an hour per number."""

    kind: Literal["callback"] = "callback"
    next: str = ""
    limit: int = 3


@dataclass(frozen=True)
class HangupNode(Node):
    kind: Literal["hangup"] = "hangup"


AnyNode = (
    MenuNode
    | LanguageNode
    | MessageNode
    | VoicemailNode
    | ForwardNode
    | TransferNode
    | HoursNode
    | CallbackNode
    | HangupNode
)
NODE_KINDS: dict[str, type[Node]] = {
    "menu": MenuNode,
    "language": LanguageNode,
    "message": MessageNode,
    "voicemail": VoicemailNode,
    "forward": ForwardNode,
    "transfer": TransferNode,
    "hours": HoursNode,
    "callback": CallbackNode,
    "hangup": HangupNode,
}
# Nodes where a call leaves the menu: it ends, or is handed to people or another menu.
EXIT_KINDS = frozenset({"voicemail", "forward", "transfer", "callback", "hangup"})
# Nodes that move on without the caller pressing anything.
AUTOMATIC_KINDS = frozenset({"message", "hours"})


@dataclass(frozen=True)
class KeyRoute:
    """A key that works at every menu (``person_key``), or a path for some callers
    (``elderly``): where it leads, and what is said of it."""

    next: str
    prompt: Prompts = field(default_factory=dict)


@dataclass(frozen=True)
class Settings:
    """How the whole menu speaks and listens; nodes may override some (the elderly-friendly
    defaults, 适老设置). Everything off or unset by default."""

    speech_rate: str | None = None  # <Say> prosody rate: "85%", "slow", …
    key_timeout: int | None = None  # seconds menu and language nodes wait for a key
    repeat_key: Prompts | None = None  # "*" replays the menu; said after each menu's prompt
    person_key: KeyRoute | None = None  # "0" from any menu; hint said in opening hours
    elderly: KeyRoute | None = None  # callers flagged elderly: greeted, then sent here


@dataclass(frozen=True)
class Menu:
    start: str
    languages: tuple[str, ...]
    nodes: dict[str, AnyNode]
    voices: dict[str, Voice] = field(default_factory=dict)
    settings: Settings = field(default_factory=Settings)

    def entries(self) -> list[str]:
        """Where a call can enter the menu besides its start: the elderly path, the person
        key (from any menu). In that order, each once, without the start."""
        routes = (self.settings.elderly, self.settings.person_key)
        found = [route.next for route in routes if route is not None]
        return [node_id for node_id in dict.fromkeys(found) if node_id != self.start]

    def voice_for(self, language: str) -> Voice:
        if language in self.voices:
            return self.voices[language]
        say_language, voice = DEFAULT_VOICES.get(language, ("en-US", "Google.en-US-Standard-C"))
        return Voice(say_language, voice)


def successors(node: AnyNode) -> list[tuple[str, str]]:
    """``(label, node id)`` for every node this one can lead to."""
    if isinstance(node, MenuNode):
        edges = [(f"key {o.key}", o.next) for o in node.options.values()]
        return [*edges, ("fallback", node.fallback)]
    if isinstance(node, LanguageNode | MessageNode):
        return [("next", node.next)]
    if isinstance(node, ForwardNode):
        return [("no answer", node.no_answer)]
    if isinstance(node, HoursNode):
        return [("open", node.open), ("closed", node.closed)]
    if isinstance(node, CallbackNode):
        return [("call back", node.next)]
    return []
