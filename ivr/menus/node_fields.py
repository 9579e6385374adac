"""Reading one node of a menu document: the fields each kind allows, needs and means."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ivr.menus.document import (
    DTMF_KEYS,
    FORWARD_STRATEGIES,
    NODE_KINDS,
    PRIORITIES,
    AnyNode,
    Option,
)
from ivr.menus.fields import (
    LANGUAGE,
    Context,
    Reader,
    boolean,
    describe,
    describe_text,
    expected,
    int_between,
    join,
    key_text,
    node_ref,
    not_offered,
    one_of,
    prompt_map,
    show,
    speech_rate,
    station_code,
    tag_code,
    tag_list,
    unknown_fields,
)
from ivr.menus.wording import N_, Text

OPTION_FIELDS = ("next", "need")


@dataclass(frozen=True)
class Field:
    read: Reader
    required: bool = False


def options(ctx: Context, path: str, value: object) -> dict[str, Option] | None:
    entries = _phone_keys(ctx, path, value, OPTION_WORDS)
    if entries is None:
        ctx.graph_complete = False
        return None
    result: dict[str, Option] = {}
    for key, entry_path, entry in entries:
        option = _option(ctx, key, entry_path, entry)
        if option is None:
            ctx.graph_complete = False
        else:
            result[key] = option
    return result


def _option(ctx: Context, key: str, path: str, entry: object) -> Option | None:
    """``next`` alone (the short form), or a mapping with ``next`` and an optional ``need``."""
    if isinstance(entry, str):
        target = node_ref(ctx, path, entry)
        return Option(key, target) if target is not None else None
    if not isinstance(entry, dict):
        what = N_("节点编号，或含 'next' 和 'need' 的映射")
        ctx.error(path, expected(what, describe(entry)))
        return None
    unknown_fields(ctx, path, entry, OPTION_FIELDS, N_("选项条目"))
    target = None
    if "next" in entry:
        target = node_ref(ctx, join(path, "next"), entry["next"])
    else:
        ctx.error(join(path, "next"), N_("选项必须有这一项"))
    need = tag_code(ctx, join(path, "need"), entry["need"]) if "need" in entry else None
    if target is None or ("need" in entry and need is None):
        return None
    return Option(key, target, need)


def choices(ctx: Context, path: str, value: object) -> dict[str, str] | None:
    entries = _phone_keys(ctx, path, value, CHOICE_WORDS)
    if entries is None:
        return None
    result: dict[str, str] = {}
    for key, entry_path, entry in entries:
        if not isinstance(entry, str) or not LANGUAGE.fullmatch(entry):
            ctx.error(entry_path, expected(N_("语言代码，如 'zh'"), describe_text(entry)))
        elif ctx.languages is not None and entry not in ctx.languages:
            ctx.error(entry_path, not_offered(entry))
        else:
            result[key] = entry
    return result


@dataclass(frozen=True)
class KeyedWords:
    """How the messages about a mapping of phone keys name what the keys lead to."""

    mapping: Text  # "a mapping of phone key → option"
    at_least_one: Text
    too_many: Callable[[int, int], Text]  # (how many, how many keys a phone has)


OPTION_WORDS = KeyedWords(
    N_("电话按键 → 选项的映射"),
    N_("至少需要一个选项"),
    lambda n, keys: N_("%(n)d 个选项，但电话只有 %(keys)d 个键", n=n, keys=keys),
)
CHOICE_WORDS = KeyedWords(
    N_("电话按键 → 语言的映射"),
    N_("至少需要一个语言按键"),
    lambda n, keys: N_("%(n)d 个语言按键，但电话只有 %(keys)d 个键", n=n, keys=keys),
)


def _phone_keys(
    ctx: Context, path: str, value: object, words: KeyedWords
) -> list[tuple[str, str, object]] | None:
    """``(key, path, entry)`` for each valid phone key of a mapping, first use only.

    YAML reads ``1:`` as an int and ``"1":`` as a string: two keys to YAML, one to a
    caller, so keys are compared as text.
    """
    if not isinstance(value, dict):
        ctx.error(path, expected(words.mapping, describe(value)))
        return None
    if not value:
        ctx.error(path, words.at_least_one)
        return None
    if len(value) > len(DTMF_KEYS):  # also bounds the work on a huge (aliased) mapping
        ctx.error(path, words.too_many(len(value), len(DTMF_KEYS)))
        return None
    entries: list[tuple[str, str, object]] = []
    for raw_key, entry in value.items():
        key = key_text(raw_key)
        entry_path = join(path, key)
        if key not in DTMF_KEYS:
            ctx.error(entry_path, N_("%(key)s 不是电话按键（应为 0-9、* 或 #）", key=show(key)))
        elif any(key == seen for seen, _, _ in entries):
            ctx.error(entry_path, N_("按键 %(key)s 用了两次", key=show(key)))
        else:
            entries.append((key, entry_path, entry))
    return entries


REF = Field(node_ref, required=True)
REPEAT = Field(int_between(0, 5))
PROMPT = Field(prompt_map, required=True)
OPTIONAL_PROMPT = Field(prompt_map)
RATE = Field(speech_rate)  # overrides settings.speech_rate (see ``menu_settings``)
KEY_SWITCH = Field(boolean)  # false: settings.repeat_key / person_key off at this node

# The fields of each kind besides ``kind``. Every edge field is a node reference.
KIND_FIELDS: dict[str, dict[str, Field]] = {
    "menu": {
        "prompt": PROMPT,
        "options": Field(options, required=True),
        "repeat": REPEAT,
        "timeout": Field(int_between(1, 30)),
        "fallback": REF,
        "invalid": OPTIONAL_PROMPT,
        "speech_rate": RATE,
        "repeat_key": KEY_SWITCH,
        "person_key": KEY_SWITCH,
    },
    "language": {
        "prompt": PROMPT,
        "choices": Field(choices, required=True),
        "next": REF,
        "repeat": REPEAT,
        "timeout": Field(int_between(1, 30)),
        "speech_rate": RATE,
        "repeat_key": KEY_SWITCH,
        "person_key": KEY_SWITCH,
    },
    "message": {"prompt": PROMPT, "next": REF, "speech_rate": RATE},
    "voicemail": {
        "prompt": PROMPT,
        "max_length": Field(int_between(5, 600)),
        "tags": Field(tag_list),
        "priority": Field(one_of(PRIORITIES, N_("优先级代码"))),
        "thanks": OPTIONAL_PROMPT,
        "speech_rate": RATE,
    },
    "forward": {
        "prompt": OPTIONAL_PROMPT,
        "strategy": Field(one_of(FORWARD_STRATEGIES, N_("拨打方式代码"))),
        "timeout": Field(int_between(5, 60)),
        "no_answer": REF,
        "speech_rate": RATE,
    },
    "transfer": {
        "prompt": OPTIONAL_PROMPT,
        "station": Field(station_code, required=True),
        "speech_rate": RATE,
    },
    "hours": {"open": REF, "closed": REF},
    "callback": {
        "prompt": PROMPT,
        "next": REF,
        "limit": Field(int_between(1, 10)),  # call-backs per number per hour
        "speech_rate": RATE,
    },
    "hangup": {"prompt": OPTIONAL_PROMPT, "speech_rate": RATE},
}
assert KIND_FIELDS.keys() == NODE_KINDS.keys()


def read_node(ctx: Context, node_id: str, path: str, raw: object) -> AnyNode | None:
    """The node ``raw`` describes, or None if it has no usable kind.

    A node with bad fields is still built, with the dataclass defaults in their place, so
    that the caller can go on; its problems are in ``ctx`` already.
    """
    kind = _kind(ctx, path, raw)
    if kind is None:
        ctx.graph_complete = False
        return None
    assert isinstance(raw, dict)
    fields = KIND_FIELDS[kind]
    values: dict[str, object] = {}
    for key, value in raw.items():
        if key == "kind":
            continue
        field = fields.get(key) if isinstance(key, str) else None
        if field is None:
            _unknown_field(ctx, path, kind, key)
        elif (parsed := field.read(ctx, join(path, key), value)) is not None:
            values[key] = parsed
    for name, field in fields.items():
        if field.required and name not in raw:
            ctx.graph_complete = False
            ctx.error(join(path, name), N_("'%(kind)s' 类节点必须有这一项", kind=kind))
    return NODE_KINDS[kind](id=node_id, **values)  # type: ignore[arg-type,return-value]


def _kind(ctx: Context, path: str, raw: object) -> str | None:
    kinds = ", ".join(NODE_KINDS)
    if not isinstance(raw, dict):
        ctx.error(path, expected(N_("含 'kind' 的映射"), describe(raw)))
        return None
    if "kind" not in raw:
        ctx.error(join(path, "kind"), N_("必须填写（可选：%(kinds)s）", kinds=kinds))
        return None
    kind = raw["kind"]
    if not isinstance(kind, str):
        what = N_("节点类型（%(kinds)s）", kinds=kinds)
        ctx.error(join(path, "kind"), expected(what, describe_text(kind)))
        return None
    if kind not in NODE_KINDS:
        message = N_(
            "未知的节点类型 %(kind)s（应为其中之一：%(kinds)s）", kind=show(kind), kinds=kinds
        )
        ctx.error(join(path, "kind"), message)
        return None
    return kind


def _unknown_field(ctx: Context, path: str, kind: str, key: object) -> None:
    name = key_text(key)
    if kind == "hours" and key == "prompt":
        ctx.error(join(path, name), N_("按开放时间分流的节点不播报任何内容：请删除 prompt"))
        return
    allowed = ", ".join(["kind", *KIND_FIELDS[kind]])
    message = N_(
        "'%(kind)s' 类节点不能有字段 %(name)s（可用：%(allowed)s）",
        name=show(name),
        kind=kind,
        allowed=allowed,
    )
    ctx.error(join(path, name), message)
