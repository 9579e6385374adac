"""A menu as an indented text tree, for ``ivr menu show``."""

from __future__ import annotations

from ivr.menus.document import (
    ForwardNode,
    Menu,
    Prompts,
    TransferNode,
    VoicemailNode,
    successors,
)

PROMPT_WIDTH = 60


def _prompt_line(prompts: Prompts, language: str) -> str:
    prompt = prompts.get(language)
    if prompt is None:
        return ""
    text = prompt.say or f"♪ {prompt.play}"
    return text if len(text) <= PROMPT_WIDTH else text[: PROMPT_WIDTH - 1] + "…"


def _describe(node, language: str) -> str:  # type: ignore[no-untyped-def]
    extra = ""
    if isinstance(node, VoicemailNode):
        tags = ",".join(node.tags) or "-"
        extra = f" tags={tags} priority={node.priority} max={node.max_length}s"
    elif isinstance(node, ForwardNode):
        extra = f" {node.strategy}, {node.timeout}s"
    elif isinstance(node, TransferNode):
        extra = f" → station {node.station}"
    prompt = _prompt_line(node.prompt, language)
    return f"{node.id} ({node.kind}{extra})" + (f"  “{prompt}”" if prompt else "")


def _settings_summary(menu: Menu) -> str:
    settings = menu.settings
    parts = [
        f"speech rate {settings.speech_rate}" if settings.speech_rate else "",
        f"keys waited {settings.key_timeout}s" if settings.key_timeout else "",
        "* repeats" if settings.repeat_key is not None else "",
        "0 for a person" if settings.person_key is not None else "",
        "elderly path" if settings.elderly is not None else "",
    ]
    return ", ".join(part for part in parts if part)


def outline(menu: Menu, language: str | None = None) -> str:
    """Every node reachable from the start, each once, then from the settings' routes (the
    person key, the elderly path); repeats are shown as ↺ references."""
    language = language or menu.languages[0]
    lines: list[str] = [f"languages: {', '.join(menu.languages)}"]
    if summary := _settings_summary(menu):
        lines.append(f"settings: {summary}")
    seen: set[str] = set()

    def visit(node_id: str, label: str, depth: int) -> None:
        indent = "  " * depth
        prefix = f"{label}: " if label else ""
        if node_id in seen:
            lines.append(f"{indent}{prefix}↺ {node_id}")
            return
        seen.add(node_id)
        node = menu.nodes[node_id]
        lines.append(f"{indent}{prefix}{_describe(node, language)}")
        for edge_label, target in successors(node):
            visit(target, edge_label, depth + 1)

    visit(menu.start, "", 0)
    settings = menu.settings
    for label, route in (("0 from any menu", settings.person_key), ("elderly", settings.elderly)):
        if route is not None:
            visit(route.next, label, 0)
    return "\n".join(lines)
