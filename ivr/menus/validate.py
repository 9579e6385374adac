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
    settings:                       # optional: the elderly-friendly defaults (适老设置)
      speech_rate: 85%              # <Say> prosody rate; a node's own speech_rate wins
      key_timeout: 10               # menus' and language choices' wait; a node's timeout wins
      repeat_key: {prompt: {...}}   # "*" replays any menu; the prompt is said after each
      person_key: {next: worker_hours, prompt: {...}}   # "0" from any menu
      elderly: {next: elderly_hours, prompt: {...}}     # callers flagged elderly start here

(see ``ivr/menus/menu_settings.py``: a menu or language node may say ``repeat_key: false``
or ``person_key: false``, and must not use ``*`` or ``0`` for anything else while they are on)

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
from ivr.menus.document import AUTOMATIC_KINDS, AnyNode, Menu, Settings, Voice
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
    expected,
    join,
    key_text,
    node_ref,
    not_offered,
    pattern_value,
    show,
    unknown_fields,
    voice_name,
)
from ivr.menus.menu_settings import check_keys, read_settings
from ivr.menus.node_fields import read_node
from ivr.menus.wording import N_, Text
from ivr.menus.yaml_source import YamlInvalid, load_yaml

MAX_DOCUMENT_BYTES = 200_000
MAX_NODES = 500
MAX_LANGUAGES = 12  # a language node offers each on its own phone key
TOP_FIELDS = ("start", "languages", "voices", "nodes", "settings")
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
        message = expected(N_("YAML 文本"), describe(text))
        raise MenuInvalid([MenuProblem("(document)", message)])
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_DOCUMENT_BYTES:
        raise MenuInvalid([MenuProblem("(document)", too_large(size))])
    try:
        loaded = load_yaml(text)
    except YamlInvalid as error:
        raise MenuInvalid([MenuProblem(error.problem.path, error.problem.message)]) from None
    duplicates = [MenuProblem(p.path, p.message) for p in loaded.duplicates]
    return _validate(loaded.data, known_stations, duplicates, known_prompts)


def too_large(size: int) -> Text:
    return N_("文档太大：%(size)d 字节（最多 %(max)d）", size=size, max=MAX_DOCUMENT_BYTES)


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
        message = N_("问题太多：只列出前 %(n)d 个", n=MAX_PROBLEMS)
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
        problems.add("(document)", N_("文档是空的"))
        return None, ctx
    if not isinstance(data, dict):
        what = N_("含 start、languages 和 nodes 的映射")
        problems.add("(document)", expected(what, describe(data)))
        return None, ctx
    for key in data:
        if key not in TOP_FIELDS:
            name = key_text(key)
            allowed = ", ".join(TOP_FIELDS)
            message = N_(
                "未知的顶层字段 %(name)s（可用：%(allowed)s）", name=show(name), allowed=allowed
            )
            problems.add(name, message)
    for name in REQUIRED_TOP_FIELDS:
        if name not in data:
            problems.add(name, N_("必须填写"))
    ctx.languages = _languages(problems, data["languages"]) if "languages" in data else None
    ctx.node_ids = _node_ids(problems, data["nodes"]) if "nodes" in data else None
    ctx.graph_complete = True
    start = node_ref(ctx, "start", data["start"]) if "start" in data else None
    voices = _voices(ctx, data["voices"]) if "voices" in data else {}
    nodes = _nodes(ctx, data["nodes"]) if ctx.node_ids is not None else None
    settings: Settings | None = Settings()
    if data.get("settings") is not None:
        settings = read_settings(ctx, "settings", data["settings"])
    if settings is not None and nodes is not None:
        check_keys(ctx, settings, nodes)
    if start is None or ctx.languages is None or voices is None or nodes is None:
        return None, ctx
    if settings is None:
        return None, ctx
    return Menu(start, ctx.languages, nodes, voices, settings), ctx


def _languages(problems: Problems, value: object) -> tuple[str, ...] | None:
    """The offered languages, or None if any is wrong (so prompts are not checked against them)."""
    if not isinstance(value, list):
        what = N_("语言代码的列表，如 [zh, en]")
        problems.add("languages", expected(what, describe(value)))
        return None
    if not value:
        problems.add("languages", N_("至少需要一种语言"))
        return None
    if len(value) > MAX_LANGUAGES:
        message = N_("语言太多：%(n)d 种（最多 %(max)d 种）", n=len(value), max=MAX_LANGUAGES)
        problems.add("languages", message)
        return None
    ok = True
    for i, item in enumerate(value):
        path = f"languages.{i}"
        if not isinstance(item, str) or not LANGUAGE.fullmatch(item):
            what = N_("2 或 3 个小写字母的语言代码，如 'zh'")
            problems.add(path, expected(what, describe_text(item)))
            ok = False
        elif item in value[:i]:
            problems.add(path, N_("语言 %(lang)s 重复了", lang=show(item)))
            ok = False
    return tuple(value) if ok else None


def _node_ids(problems: Problems, value: object) -> frozenset[str] | None:
    """The valid ids of ``nodes``, or None if ``nodes`` is unusable as a whole."""
    if not isinstance(value, dict):
        problems.add("nodes", expected(N_("节点编号 → 节点的映射"), describe(value)))
        return None
    if not value:
        problems.add("nodes", N_("至少需要一个节点"))
        return None
    if len(value) > MAX_NODES:
        message = N_("节点太多：%(n)d 个（最多 %(max)d 个）", n=len(value), max=MAX_NODES)
        problems.add("nodes", message)
        return None
    ids = set()
    for key in value:
        if isinstance(key, str) and NODE_ID.fullmatch(key):
            ids.add(key)
        else:
            message = N_(
                "节点编号 %(id)s 不可用：须以字母开头，后面最多 63 个字母、数字、'_' 或 '-'",
                id=show(key_text(key)),
            )
            problems.add(join("nodes", key_text(key)), message)
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
        ctx.error("voices", expected(N_("语言 → 声音的映射"), describe(value)))
        return None
    voices: dict[str, Voice] = {}
    for key, entry in value.items():
        path = join("voices", key_text(key))
        if ctx.languages is not None and key not in ctx.languages:
            ctx.error(path, not_offered(key_text(key)))
        elif (voice := _voice(ctx, path, entry)) is not None and isinstance(key, str):
            voices[key] = voice
    return voices


def _voice(ctx: Context, path: str, value: object) -> Voice | None:
    if not isinstance(value, dict):
        ctx.error(path, expected(N_("含 'language' 和 'voice' 的映射"), describe(value)))
        return None
    fields = ("language", "voice")
    unknown_fields(ctx, path, value, fields, N_("声音设置条目"))
    for name in fields:
        if name not in value:
            ctx.error(join(path, name), N_("声音设置必须有这一项"))
    language = voice = None
    if "language" in value:
        what = N_("Twilio 语言代码，如 'cmn-CN'")
        language = pattern_value(ctx, join(path, "language"), value["language"], SAY_LANGUAGE, what)
    if "voice" in value:
        voice = voice_name(ctx, join(path, "voice"), value["voice"])
    return Voice(language, voice) if language is not None and voice is not None else None


def _check_graph(problems: Problems, menu: Menu, warnings: list[MenuProblem]) -> None:
    """Endless loops are errors; unreachable nodes, warnings. Needs every edge to be sound."""
    looping: set[str] = set()
    for cycle in graph.automatic_cycles(menu):
        message = N_("不需按键就无限循环：%(path)s", path=_arrows(cycle + cycle[:1]))
        problems.add(join("nodes", cycle[0]), message)
        looping.update(cycle)
    for cycle in graph.automatic_cycles(menu, UNANSWERED_KINDS):
        if any(menu.nodes[node_id].kind == "forward" for node_id in cycle):
            path = _arrows(cycle + cycle[:1])
            message = N_("无人接听时不需按键就无限循环：%(path)s", path=path)
            problems.add(join("nodes", cycle[0]), message)
            looping.update(cycle)
    trapped = graph.nodes_without_exit(menu)
    for node_id in trapped:
        if node_id not in looping:
            path = graph.loop_path(menu, node_id, set(trapped))
            problems.add(join("nodes", node_id), N_("没有出口的循环：%(path)s", path=_arrows(path)))
    for node_id in graph.unreachable(menu):
        message = N_("无法到达：从开始节点 %(start)s 没有路通到这里", start=show(menu.start))
        warnings.append(MenuProblem(join("nodes", node_id), message))


def _arrows(path: list[str]) -> str:
    return " → ".join(path)
