"""A menu's ``settings``: how every node speaks and listens (the elderly-friendly defaults,
适老设置), read and checked like the nodes are.

The section::

    settings:
      speech_rate: 85%            # <Say> prosody rate: 20%..200%, or x-slow … x-fast
      key_timeout: 10             # seconds menu and language nodes wait (1..30)
      repeat_key:                 # "*" at any menu or language choice: hear it again
        prompt: {zh: 重听请按星号键。, ...}    # said after every menu's prompt
      person_key:                 # "0" at any menu or language choice: to a person
        next: worker_hours        # usually an hours node: open → forward, closed → voicemail
        prompt: {zh: 找值班社工请按0。, ...}  # said after every menu's prompt, in opening hours
      elderly:                    # callers the registry flags as elderly (lone_elderly)
        prompt: {zh: 您好，我们认得您的号码。, ...}   # the greeting, in their own language
        next: elderly_hours       # where they go first, instead of ``start``

A node may override: ``speech_rate`` (any node with a prompt), ``timeout``, and
``repeat_key: false`` / ``person_key: false`` (menu and language nodes). While a key's
setting is on at a node, the node may not use that key for anything else.
"""

from __future__ import annotations

from ivr.menus.document import (
    PERSON_KEY,
    REPEAT_KEY,
    AnyNode,
    KeyRoute,
    LanguageNode,
    MenuNode,
    Prompts,
    Settings,
)
from ivr.menus.fields import (
    Context,
    describe,
    expected,
    int_between,
    join,
    node_ref,
    prompt_map,
    show,
    speech_rate,
    unknown_fields,
)
from ivr.menus.wording import N_

SETTINGS_FIELDS = ("speech_rate", "key_timeout", "repeat_key", "person_key", "elderly")
ROUTE_FIELDS = ("next", "prompt")
key_timeout = int_between(1, 30)


def read_settings(ctx: Context, path: str, value: object) -> Settings | None:
    """The settings section, or None if any of it is unusable (its problems are in ctx)."""
    if not isinstance(value, dict):
        ctx.error(path, expected(N_("菜单设置的映射"), describe(value)))
        return None
    unknown_fields(ctx, path, value, SETTINGS_FIELDS, N_("菜单的 settings"))
    parts: dict[str, object] = {}
    ok = True
    for name in SETTINGS_FIELDS:
        if name not in value or value[name] is False:  # `false`: the same as leaving it out
            continue
        here = join(path, name)
        if name == "speech_rate":
            parsed: object = speech_rate(ctx, here, value[name])
        elif name == "key_timeout":
            parsed = key_timeout(ctx, here, value[name])
        elif name == "repeat_key":
            parsed = _repeat_key(ctx, here, value[name])
        else:
            parsed = _route(ctx, here, value[name])
        ok = ok and parsed is not None
        parts[name] = parsed
    return Settings(**parts) if ok else None  # type: ignore[arg-type]


def _repeat_key(ctx: Context, path: str, value: object) -> Prompts | None:
    if not isinstance(value, dict):
        what = N_("含 'prompt'（每种语言一句，如“重听请按星号键”）的映射")
        ctx.error(path, expected(what, describe(value)))
        return None
    unknown_fields(ctx, path, value, ("prompt",), N_("重听键设置"))
    if "prompt" not in value:
        ctx.error(join(path, "prompt"), N_("必须填写：来电者要听到怎样重听"))
        return None
    return prompt_map(ctx, join(path, "prompt"), value["prompt"])


def _route(ctx: Context, path: str, value: object) -> KeyRoute | None:
    if not isinstance(value, dict):
        ctx.error(path, expected(N_("含 'next' 和 'prompt' 的映射"), describe(value)))
        return None
    unknown_fields(ctx, path, value, ROUTE_FIELDS, N_("这项设置"))
    for name in ROUTE_FIELDS:
        if name not in value:
            if name == "next":
                ctx.graph_complete = False
            ctx.error(join(path, name), N_("这项设置必须有这一项"))
    target = node_ref(ctx, join(path, "next"), value["next"]) if "next" in value else None
    prompt = prompt_map(ctx, join(path, "prompt"), value["prompt"]) if "prompt" in value else None
    if target is None or prompt is None:
        return None
    return KeyRoute(target, prompt)


def repeat_on(settings: Settings, node: AnyNode) -> bool:
    """Whether ``*`` replays this node."""
    return (
        settings.repeat_key is not None
        and isinstance(node, MenuNode | LanguageNode)
        and node.repeat_key
    )


def person_on(settings: Settings, node: AnyNode) -> bool:
    """Whether ``0`` at this node goes to ``settings.person_key``."""
    return (
        settings.person_key is not None
        and isinstance(node, MenuNode | LanguageNode)
        and node.person_key
    )


def check_keys(ctx: Context, settings: Settings, nodes: dict[str, AnyNode]) -> None:
    """A node may not use ``*`` or ``0`` for something else while their setting is on there.

    A menu option ``0`` to the person key's own node is no clash: it says the same.
    """
    for node_id, node in nodes.items():
        keyed = _keys_of(node)
        if keyed is None:
            continue
        field, targets = keyed
        if REPEAT_KEY in targets and repeat_on(settings, node):
            message = N_(
                "节点 %(node)s 把按键 '*' 用作了别的选项，但菜单设置开着“按 * 重听”"
                "（settings.repeat_key）：请换一个按键，或在这个节点写 repeat_key: false",
                node=show(node_id),
            )
            ctx.error(join(join(join("nodes", node_id), field), REPEAT_KEY), message)
        person = settings.person_key
        if PERSON_KEY in targets and person_on(settings, node) and person is not None:
            if isinstance(node, MenuNode) and targets[PERSON_KEY] == person.next:
                continue
            message = N_(
                "节点 %(node)s 把按键 '0' 用作了别的选项，但菜单设置开着“按 0 找社工”"
                "（settings.person_key，转到 %(target)s）：请换一个按键，"
                "或在这个节点写 person_key: false",
                node=show(node_id),
                target=show(person.next),
            )
            ctx.error(join(join(join("nodes", node_id), field), PERSON_KEY), message)


def _keys_of(node: AnyNode) -> tuple[str, dict[str, str]] | None:
    """The node's keyed field and where each key leads (a language code for choices)."""
    if isinstance(node, MenuNode):
        return "options", {key: option.next for key, option in node.options.items()}
    if isinstance(node, LanguageNode):
        return "choices", dict(node.choices)
    return None
