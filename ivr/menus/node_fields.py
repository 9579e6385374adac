"""Reading one node of a menu document: the fields each kind allows, needs and means."""

from __future__ import annotations

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
    describe,
    describe_text,
    int_between,
    join,
    key_text,
    node_ref,
    one_of,
    prompt_map,
    show,
    station_code,
    tag_code,
    tag_list,
    unknown_fields,
)

OPTION_FIELDS = ("next", "need")


@dataclass(frozen=True)
class Field:
    read: Reader
    required: bool = False


def options(ctx: Context, path: str, value: object) -> dict[str, Option] | None:
    entries = _phone_keys(ctx, path, value, "option")
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
        what = "a node id, or a mapping with 'next' and 'need'"
        ctx.error(path, f"expected {what}, got {describe(entry)}")
        return None
    unknown_fields(ctx, path, entry, OPTION_FIELDS, "an option")
    target = None
    if "next" in entry:
        target = node_ref(ctx, join(path, "next"), entry["next"])
    else:
        ctx.error(join(path, "next"), "required for an option")
    need = tag_code(ctx, join(path, "need"), entry["need"]) if "need" in entry else None
    if target is None or ("need" in entry and need is None):
        return None
    return Option(key, target, need)


def choices(ctx: Context, path: str, value: object) -> dict[str, str] | None:
    entries = _phone_keys(ctx, path, value, "choice")
    if entries is None:
        return None
    result: dict[str, str] = {}
    for key, entry_path, entry in entries:
        if not isinstance(entry, str) or not LANGUAGE.fullmatch(entry):
            ctx.error(entry_path, f"expected a language code like 'zh', got {describe_text(entry)}")
        elif ctx.languages is not None and entry not in ctx.languages:
            ctx.error(entry_path, f"language {show(entry)} is not offered in languages")
        else:
            result[key] = entry
    return result


def _phone_keys(
    ctx: Context, path: str, value: object, what: str
) -> list[tuple[str, str, object]] | None:
    """``(key, path, entry)`` for each valid phone key of a mapping, first use only.

    YAML reads ``1:`` as an int and ``"1":`` as a string: two keys to YAML, one to a
    caller, so keys are compared as text.
    """
    if not isinstance(value, dict):
        ctx.error(path, f"expected a mapping of phone key → {what}, got {describe(value)}")
        return None
    if not value:
        ctx.error(path, f"needs at least one {what}")
        return None
    if len(value) > len(DTMF_KEYS):  # also bounds the work on a huge (aliased) mapping
        ctx.error(path, f"{len(value)} {what}s, but a phone has only {len(DTMF_KEYS)} keys")
        return None
    entries: list[tuple[str, str, object]] = []
    for raw_key, entry in value.items():
        key = key_text(raw_key)
        entry_path = join(path, key)
        if key not in DTMF_KEYS:
            ctx.error(entry_path, f"{show(key)} is not a phone key (expected 0-9, * or #)")
        elif any(key == seen for seen, _, _ in entries):
            ctx.error(entry_path, f"key {show(key)} used twice")
        else:
            entries.append((key, entry_path, entry))
    return entries


REF = Field(node_ref, required=True)
REPEAT = Field(int_between(0, 5))
PROMPT = Field(prompt_map, required=True)
OPTIONAL_PROMPT = Field(prompt_map)

# The fields of each kind besides ``kind``. Every edge field is a node reference.
KIND_FIELDS: dict[str, dict[str, Field]] = {
    "menu": {
        "prompt": PROMPT,
        "options": Field(options, required=True),
        "repeat": REPEAT,
        "timeout": Field(int_between(1, 30)),
        "fallback": REF,
        "invalid": OPTIONAL_PROMPT,
    },
    "language": {
        "prompt": PROMPT,
        "choices": Field(choices, required=True),
        "next": REF,
        "repeat": REPEAT,
        "timeout": Field(int_between(1, 30)),
    },
    "message": {"prompt": PROMPT, "next": REF},
    "voicemail": {
        "prompt": PROMPT,
        "max_length": Field(int_between(5, 600)),
        "tags": Field(tag_list),
        "priority": Field(one_of(PRIORITIES, "priority")),
        "thanks": OPTIONAL_PROMPT,
    },
    "forward": {
        "prompt": OPTIONAL_PROMPT,
        "strategy": Field(one_of(FORWARD_STRATEGIES, "strategy")),
        "timeout": Field(int_between(5, 60)),
        "no_answer": REF,
    },
    "transfer": {"prompt": OPTIONAL_PROMPT, "station": Field(station_code, required=True)},
    "hours": {"open": REF, "closed": REF},
    "hangup": {"prompt": OPTIONAL_PROMPT},
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
            ctx.error(join(path, name), f"required for kind '{kind}'")
    return NODE_KINDS[kind](id=node_id, **values)  # type: ignore[arg-type,return-value]


def _kind(ctx: Context, path: str, raw: object) -> str | None:
    expected = ", ".join(NODE_KINDS)
    if not isinstance(raw, dict):
        ctx.error(path, f"expected a mapping with a 'kind', got {describe(raw)}")
        return None
    if "kind" not in raw:
        ctx.error(join(path, "kind"), f"required (one of: {expected})")
        return None
    kind = raw["kind"]
    if not isinstance(kind, str):
        ctx.error(join(path, "kind"), f"expected a kind ({expected}), got {describe_text(kind)}")
        return None
    if kind not in NODE_KINDS:
        ctx.error(join(path, "kind"), f"unknown kind {show(kind)} (expected one of: {expected})")
        return None
    return kind


def _unknown_field(ctx: Context, path: str, kind: str, key: object) -> None:
    name = key_text(key)
    if kind == "hours" and key == "prompt":
        ctx.error(join(path, name), "an hours node says nothing: remove the prompt")
        return
    allowed = ", ".join(["kind", *KIND_FIELDS[kind]])
    ctx.error(
        join(path, name), f"unknown field {show(name)} for kind '{kind}' (allowed: {allowed})"
    )
