"""Comparing two menu documents: the changed lines, and which nodes changed.

Pure functions over YAML text. The line diff is :mod:`difflib`'s unified diff; the node
summary reads both documents as plain YAML data, so it works on drafts that do not
validate too (a document that is not a mapping of nodes simply has no nodes to compare).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from ivr.menus.yaml_source import YamlInvalid, load_yaml

TOP_LEVEL_FIELDS = ("start", "languages", "voices", "settings")
CONTEXT_LINES = 3


@dataclass(frozen=True)
class DiffLine:
    """One line of a unified diff: ``kind`` is add, remove, context, hunk or header."""

    kind: str
    text: str


@dataclass(frozen=True)
class NodeChange:
    node: str
    fields: list[str]  # the node's fields that differ, in the newer document's order


@dataclass(frozen=True)
class NodeSummary:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[NodeChange] = field(default_factory=list)
    top_level: list[str] = field(default_factory=list)  # start, languages, voices or settings
    readable: bool = True  # False when either document is not YAML with a nodes mapping

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed or self.top_level)


@dataclass(frozen=True)
class MenuDiff:
    lines: list[DiffLine]
    nodes: NodeSummary

    @property
    def identical(self) -> bool:
        return not any(line.kind in ("add", "remove") for line in self.lines)


def diff(a_text: str, b_text: str, a_name: str = "a", b_name: str = "b") -> MenuDiff:
    """What changed from ``a_text`` to ``b_text``."""
    return MenuDiff(unified_lines(a_text, b_text, a_name, b_name), node_summary(a_text, b_text))


def unified_lines(a_text: str, b_text: str, a_name: str = "a", b_name: str = "b") -> list[DiffLine]:
    raw = difflib.unified_diff(
        a_text.splitlines(),
        b_text.splitlines(),
        fromfile=a_name,
        tofile=b_name,
        n=CONTEXT_LINES,
        lineterm="",
    )
    return [_classify(line) for line in raw]


def _classify(line: str) -> DiffLine:
    if line.startswith(("--- ", "+++ ")):
        return DiffLine("header", line)
    if line.startswith("@@"):
        return DiffLine("hunk", line)
    if line.startswith("+"):
        return DiffLine("add", line[1:])
    if line.startswith("-"):
        return DiffLine("remove", line[1:])
    return DiffLine("context", line[1:])


def node_summary(a_text: str, b_text: str) -> NodeSummary:
    """Nodes added, removed and changed (with the fields that differ) from a to b."""
    a, b = _document(a_text), _document(b_text)
    if a is None or b is None:
        return NodeSummary(readable=False)
    a_nodes, b_nodes = a.get("nodes"), b.get("nodes")
    if not isinstance(a_nodes, dict) or not isinstance(b_nodes, dict):
        return NodeSummary(top_level=_changed_keys(a, b, TOP_LEVEL_FIELDS), readable=False)
    added = [_name(n) for n in b_nodes if n not in a_nodes]
    removed = [_name(n) for n in a_nodes if n not in b_nodes]
    changed = [
        NodeChange(_name(n), _changed_fields(a_nodes[n], node))
        for n, node in b_nodes.items()
        if n in a_nodes and a_nodes[n] != node
    ]
    return NodeSummary(added, removed, changed, _changed_keys(a, b, TOP_LEVEL_FIELDS))


def _document(text: str) -> dict | None:
    try:
        data = load_yaml(text).data
    except YamlInvalid:
        return None
    return data if isinstance(data, dict) else None


def _changed_fields(old: object, new: object) -> list[str]:
    if not isinstance(old, dict) or not isinstance(new, dict):
        return ["(node)"]
    keys = list(new) + [k for k in old if k not in new]
    return _changed_keys(old, new, keys)


def _changed_keys(old: dict, new: dict, keys: Iterable[object]) -> list[str]:
    missing = object()
    return [_name(k) for k in keys if old.get(k, missing) != new.get(k, missing)]


def _name(key: object) -> str:
    return key if isinstance(key, str) else str(key)
