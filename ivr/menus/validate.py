"""The menu validator: YAML text in, a :class:`Menu` or every problem with it out.

The format::

    start: choose_language          # id of the first node (required)
    languages: [zh, yue, en]        # offered, in order; the first is the default (required)
    voices:                         # optional: Twilio <Say> language and voice per language
      zh: {language: cmn-CN, voice: Google.cmn-CN-Standard-A}
    nodes:                          # required; ids match [A-Za-z][A-Za-z0-9_-]{0,63}
      choose_language:
        kind: language
        prompt: {zh: 普通话请按1, yue: 廣東話請按2, en: For English press 3}
        choices: {1: zh, 2: yue, 3: en}   # phone key -> an offered language
        next: main
        repeat: 1                   # optional, 0..5 replays
        timeout: 5                  # optional, 1..30 seconds
      main:
        kind: menu
        prompt: {zh: ..., yue: ..., en: ...}
        options:                    # phone key (0-9, "*", "#") -> option
          1: {next: vm_food, need: food}   # need: optional tag code [a-z0-9_-]{1,64}
          0: forward_worker                # short form: just the next node id
        repeat: 2                   # optional, 0..5
        timeout: 6                  # optional, 1..30
        fallback: vm_general        # required: where a caller goes after the last replay
        invalid: {zh: ..., yue: ..., en: ...}   # optional: said before a replay
      policy: {kind: message, prompt: {...}, next: main}
      vm_food:
        kind: voicemail
        prompt: {...}
        max_length: 120             # optional, 5..600 seconds
        tags: [food]                # optional tag codes
        priority: normal            # optional: urgent, high, normal or low
        thanks: {...}               # optional
      forward_worker:
        kind: forward
        prompt: {...}               # optional
        strategy: sequential        # optional: sequential or simultaneous
        timeout: 20                 # optional, 5..60 seconds
        no_answer: vm_general       # required
      to_tongde: {kind: transfer, prompt: {...}, station: baiyun-tongde}  # prompt optional
      opening: {kind: hours, open: main, closed: vm_general}  # no prompt
      bye: {kind: hangup, prompt: {...}}                      # prompt optional

A prompt map (``prompt``, ``invalid``, ``thanks``) has an entry for every offered language
and no other. An entry is text to say, or a mapping with exactly one of ``say`` (text) or
``play`` (a file of the station's prompt library, by name; never a URL) and an optional
``voice``. Menu, language, message and voicemail nodes need a prompt; hours nodes have none.

Every problem is a :class:`MenuProblem` whose path names the field, e.g.
``nodes.main.options.1.next: unknown node 'vm_fod'``. One pass finds them all (up to
:data:`MAX_PROBLEMS`), except that the graph is checked only once every edge is sound:
no reachable node may be a loop with no exit, and no cycle may run without input.
Unreachable nodes are warnings. Bad input only ever raises :class:`MenuInvalid`.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from ivr.menus import graph
from ivr.menus.document import AUTOMATIC_KINDS, AnyNode, Menu, Voice
from ivr.menus.fields import (
    LANGUAGE,
    MAX_PROBLEMS,
    NODE_ID,
    SAY_LANGUAGE,
    Context,
    MenuProblem,
    Problems,
    TooManyProblems,
    describe,
    describe_text,
    join,
    key_text,
    node_ref,
    pattern_value,
    show,
    unknown_fields,
    voice_name,
)
from ivr.menus.node_fields import read_node
from ivr.menus.yaml_source import YamlInvalid, load_yaml

MAX_DOCUMENT_BYTES = 200_000
MAX_NODES = 500
MAX_LANGUAGES = 12  # a language node offers each on its own phone key
TOP_FIELDS = ("start", "languages", "voices", "nodes")
REQUIRED_TOP_FIELDS = ("start", "languages", "nodes")
# With nobody on duty a forward moves straight on to ``no_answer``: a loop through
# forwards (and automatic nodes) spins without the caller pressing anything, too.
UNANSWERED_KINDS = AUTOMATIC_KINDS | {"forward"}

__all__ = ["MenuInvalid", "MenuProblem", "ParsedMenu", "parse_menu", "validate_document"]


class MenuInvalid(Exception):
    """A menu document with problems; ``str()`` lists them, one per line."""

    def __init__(self, errors: list[MenuProblem]) -> None:
        super().__init__(errors)
        self.errors = errors

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.errors)


@dataclass(frozen=True)
class ParsedMenu:
    menu: Menu
    warnings: list[MenuProblem]


def parse_menu(
    text: str,
    known_stations: Collection[str] | None = None,
    known_prompts: Collection[str] | None = None,
) -> ParsedMenu:
    """Parse and validate a menu document; raise :class:`MenuInvalid` listing its problems.

    With ``known_stations``, a transfer must name one of those station codes; with
    ``known_prompts`` (the station's prompt library), a ``play`` file must be one of them.
    """
    if not isinstance(text, str):
        raise MenuInvalid([MenuProblem("(document)", f"expected YAML text, got {describe(text)}")])
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        message = f"document too large: {size} bytes (at most {MAX_DOCUMENT_BYTES})"
        raise MenuInvalid([MenuProblem("(document)", message)])
    try:
        loaded = load_yaml(text)
    except YamlInvalid as error:
        raise MenuInvalid([MenuProblem(error.problem.path, error.problem.message)]) from None
    duplicates = [MenuProblem(p.path, p.message) for p in loaded.duplicates]
    return _validate(loaded.data, known_stations, duplicates, known_prompts)


def validate_document(
    data: object,
    known_stations: Collection[str] | None = None,
    known_prompts: Collection[str] | None = None,
) -> ParsedMenu:
    """Validate an already loaded document (the YAML's plain data)."""
    return _validate(data, known_stations, [], known_prompts)


def _validate(
    data: object,
    known_stations: Collection[str] | None,
    earlier: list[MenuProblem],
    known_prompts: Collection[str] | None = None,
) -> ParsedMenu:
    stations = frozenset(known_stations) if known_stations is not None else None
    prompts = frozenset(known_prompts) if known_prompts is not None else None
    problems = Problems(earlier)
    warnings: list[MenuProblem] = []
    menu = None
    try:
        menu, ctx = _read_document(problems, data, stations, prompts)
        if menu is not None and ctx.graph_complete:
            _check_graph(problems, menu, warnings)
    except TooManyProblems:
        message = f"too many problems: stopped after the first {MAX_PROBLEMS}"
        problems.items.append(MenuProblem("(document)", message))
    if problems.items or menu is None:
        raise MenuInvalid(problems.items)
    return ParsedMenu(menu, warnings)


def _read_document(
    problems: Problems,
    data: object,
    stations: frozenset[str] | None,
    prompts: frozenset[str] | None = None,
) -> tuple[Menu | None, Context]:
    ctx = Context(problems, None, None, stations, graph_complete=False, known_prompts=prompts)
    if data is None:
        problems.add("(document)", "the document is empty")
        return None, ctx
    if not isinstance(data, dict):
        what = "a mapping with start, languages and nodes"
        problems.add("(document)", f"expected {what}, got {describe(data)}")
        return None, ctx
    for key in data:
        if key not in TOP_FIELDS:
            name = key_text(key)
            problems.add(
                name, f"unknown top-level field {show(name)} (allowed: {', '.join(TOP_FIELDS)})"
            )
    for name in REQUIRED_TOP_FIELDS:
        if name not in data:
            problems.add(name, "required")
    ctx.languages = _languages(problems, data["languages"]) if "languages" in data else None
    ctx.node_ids = _node_ids(problems, data["nodes"]) if "nodes" in data else None
    ctx.graph_complete = True
    start = node_ref(ctx, "start", data["start"]) if "start" in data else None
    voices = _voices(ctx, data["voices"]) if "voices" in data else {}
    nodes = _nodes(ctx, data["nodes"]) if ctx.node_ids is not None else None
    if start is None or ctx.languages is None or voices is None or nodes is None:
        return None, ctx
    return Menu(start, ctx.languages, nodes, voices), ctx


def _languages(problems: Problems, value: object) -> tuple[str, ...] | None:
    """The offered languages, or None if any is wrong (so prompts are not checked against them)."""
    if not isinstance(value, list):
        problems.add(
            "languages", f"expected a list of language codes like [zh, en], got {describe(value)}"
        )
        return None
    if not value:
        problems.add("languages", "needs at least one language")
        return None
    if len(value) > MAX_LANGUAGES:
        problems.add("languages", f"too many languages: {len(value)} (at most {MAX_LANGUAGES})")
        return None
    ok = True
    for i, item in enumerate(value):
        path = f"languages.{i}"
        if not isinstance(item, str) or not LANGUAGE.fullmatch(item):
            what = "a language code of 2 or 3 lowercase letters like 'zh'"
            problems.add(path, f"expected {what}, got {describe_text(item)}")
            ok = False
        elif item in value[:i]:
            problems.add(path, f"language {show(item)} listed twice")
            ok = False
    return tuple(value) if ok else None


def _node_ids(problems: Problems, value: object) -> frozenset[str] | None:
    """The valid ids of ``nodes``, or None if ``nodes`` is unusable as a whole."""
    if not isinstance(value, dict):
        problems.add("nodes", f"expected a mapping of node id → node, got {describe(value)}")
        return None
    if not value:
        problems.add("nodes", "needs at least one node")
        return None
    if len(value) > MAX_NODES:
        problems.add("nodes", f"too many nodes: {len(value)} (at most {MAX_NODES})")
        return None
    ids = set()
    for key in value:
        if isinstance(key, str) and NODE_ID.fullmatch(key):
            ids.add(key)
        else:
            rule = "a letter, then up to 63 letters, digits, '_' or '-'"
            problems.add(
                join("nodes", key_text(key)), f"invalid node id {show(key_text(key))}: use {rule}"
            )
    return frozenset(ids)


def _nodes(ctx: Context, value: object) -> dict[str, AnyNode] | None:
    """Every node, or None if any could not be built. Nodes with bad ids are checked too."""
    assert isinstance(value, dict) and ctx.node_ids is not None
    nodes: dict[str, AnyNode] = {}
    for key, raw in value.items():
        node_id = key_text(key)
        node = read_node(ctx, node_id, join("nodes", node_id), raw)
        if node is not None and key in ctx.node_ids:
            nodes[node_id] = node
    return nodes if len(nodes) == len(value) else None


def _voices(ctx: Context, value: object) -> dict[str, Voice] | None:
    if not isinstance(value, dict):
        ctx.error("voices", f"expected a mapping of language → voice, got {describe(value)}")
        return None
    voices: dict[str, Voice] = {}
    for key, entry in value.items():
        path = join("voices", key_text(key))
        if ctx.languages is not None and key not in ctx.languages:
            ctx.error(path, f"language {show(key_text(key))} is not offered in languages")
        elif (voice := _voice(ctx, path, entry)) is not None and isinstance(key, str):
            voices[key] = voice
    return voices


def _voice(ctx: Context, path: str, value: object) -> Voice | None:
    if not isinstance(value, dict):
        ctx.error(path, f"expected a mapping with 'language' and 'voice', got {describe(value)}")
        return None
    fields = ("language", "voice")
    unknown_fields(ctx, path, value, fields, "a voice")
    for name in fields:
        if name not in value:
            ctx.error(join(path, name), "required for a voice")
    language = voice = None
    if "language" in value:
        what = "a Twilio language like 'cmn-CN'"
        language = pattern_value(ctx, join(path, "language"), value["language"], SAY_LANGUAGE, what)
    if "voice" in value:
        voice = voice_name(ctx, join(path, "voice"), value["voice"])
    return Voice(language, voice) if language is not None and voice is not None else None


def _check_graph(problems: Problems, menu: Menu, warnings: list[MenuProblem]) -> None:
    """Endless loops are errors; unreachable nodes, warnings. Needs every edge to be sound."""
    looping: set[str] = set()
    for cycle in graph.automatic_cycles(menu):
        problems.add(
            join("nodes", cycle[0]), f"endless loop without input: {_arrows(cycle + cycle[:1])}"
        )
        looping.update(cycle)
    for cycle in graph.automatic_cycles(menu, UNANSWERED_KINDS):
        if any(menu.nodes[node_id].kind == "forward" for node_id in cycle):
            message = (
                f"endless loop without input when nobody answers: {_arrows(cycle + cycle[:1])}"
            )
            problems.add(join("nodes", cycle[0]), message)
            looping.update(cycle)
    trapped = graph.nodes_without_exit(menu)
    for node_id in trapped:
        if node_id not in looping:
            path = graph.loop_path(menu, node_id, set(trapped))
            problems.add(join("nodes", node_id), f"loop with no exit: {_arrows(path)}")
    for node_id in graph.unreachable(menu):
        message = f"unreachable: no path from start {show(menu.start)} leads here"
        warnings.append(MenuProblem(join("nodes", node_id), message))


def _arrows(path: list[str]) -> str:
    return " → ".join(path)
