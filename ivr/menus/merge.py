"""Bringing a station's menu in line with a shared template, and placing notices in it.

Pure functions over documents as YAML loads them (plain mappings); nothing here reads
the database or validates: the caller validates what comes out.

A template update is a three-way merge. ``base`` is the template the station's menu was
last brought in line with, ``ours`` the station's menu now, ``theirs`` the new template.
Wherever ours differs from base the station made a change of its own (an override) and
it survives; everywhere else the new template's value is taken. The unit is one field of
one node (and ``start``, ``languages``, ``voices``, ``settings``); prompt maps, a menu's
options, a language node's choices, ``voices`` and ``settings`` merge key by key, so a
station that re-worded only its Cantonese prompt keeps that and takes the template's new
Mandarin.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

Document = dict[str, Any]
Placement = Literal["after_language", "start"]
PLACEMENTS: tuple[Placement, ...] = ("after_language", "start")
NoticeChange = Literal["inserted_after_language", "inserted_at_start", "replaced", "unchanged"]
RemovalChange = Literal["removed", "unchanged"]

PROMPT_FIELDS = ("prompt", "invalid", "thanks")
# Fields merged entry by entry: prompts by language, options and choices by phone key.
KEYED_FIELDS = frozenset({*PROMPT_FIELDS, "options", "choices"})
SETTINGS_WITH_PROMPTS = ("repeat_key", "person_key", "elderly")
TOP_ORDER = ("start", "languages", "voices", "settings", "nodes")
# Fields of a node that name another node.
EDGE_FIELDS = ("next", "fallback", "no_answer", "open", "closed")


class _Missing:
    """An absent field or node: distinct from an explicit null."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass
class Merged:
    """The merged document and what became of each difference, as dotted paths.

    ``kept``: the station's own changes that survive. ``taken``: the template's changes
    applied. ``conflicts``: paths (among ``kept``) where the template changed the same
    value differently; the station's value won there.
    """

    document: Document
    kept: list[str] = field(default_factory=list)
    taken: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)


class NoticeInvalid(Exception):
    """A notice cannot go into this menu as asked (e.g. its id names another kind of node)."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def three_way(base: Document, ours: Document, theirs: Document) -> Merged:
    """Merge the template change ``base`` → ``theirs`` into the station's ``ours``."""
    merge = _Merge()
    document: Document = {}
    for name in _ordered(theirs, ours, base):
        if name == "nodes":
            continue
        merge_field = merge.keyed if name in ("voices", "settings") else merge.value
        value = merge_field(
            name, base.get(name, MISSING), ours.get(name, MISSING), theirs.get(name, MISSING)
        )
        if value is not MISSING:
            document[name] = value
    base_nodes, our_nodes, their_nodes = (_mapping(d.get("nodes")) for d in (base, ours, theirs))
    nodes: Document = {}
    # Template order first, then what only the station has, in the station's order.
    for node_id in _ordered(their_nodes, our_nodes):
        node = merge.node(
            node_id,
            base_nodes.get(node_id, MISSING),
            our_nodes.get(node_id, MISSING),
            their_nodes.get(node_id, MISSING),
        )
        if node is not MISSING:
            nodes[node_id] = node
    document["nodes"] = nodes
    ordered: Document = {k: document[k] for k in TOP_ORDER if k in document}
    ordered.update((k, v) for k, v in document.items() if k not in ordered)
    return Merged(copy.deepcopy(ordered), merge.kept, merge.taken, merge.conflicts)


class _Merge:
    def __init__(self) -> None:
        self.kept: list[str] = []
        self.taken: list[str] = []
        self.conflicts: list[str] = []

    def value(self, path: str, base: Any, ours: Any, theirs: Any) -> Any:
        """One value, merged whole (MISSING: it is absent from the result)."""
        if ours == base:
            if theirs != base:
                self.taken.append(path)
            return theirs
        if theirs == ours:  # the template now says what the station said: no override left
            return ours
        self.kept.append(path)
        if theirs != base:
            self.conflicts.append(path)
        return ours

    def keyed(self, path: str, base: Any, ours: Any, theirs: Any) -> Any:
        """A mapping merged entry by entry; whole if it is absent or not a mapping somewhere."""
        if not all(isinstance(v, dict) for v in (base, ours, theirs)):
            return self.value(path, base, ours, theirs)
        b, o, t = _keyed(base), _keyed(ours), _keyed(theirs)
        result = {}
        for key in _ordered(t, o):
            entry = self.value(
                f"{path}.{key}", b.get(key, MISSING), o.get(key, MISSING), t.get(key, MISSING)
            )
            if entry is not MISSING:
                result[key] = entry
        return result

    def node(self, node_id: str, base: Any, ours: Any, theirs: Any) -> Any:
        path = f"nodes.{node_id}"
        same_kind = all(isinstance(v, dict) for v in (base, ours, theirs)) and (
            base.get("kind") == ours.get("kind") == theirs.get("kind")
        )
        if not same_kind:
            # Added, removed or replaced by another kind of node on some side: the node is
            # one value. A removed node stays removed unless the other side changed it.
            return self.value(path, base, ours, theirs)
        result = {}
        for name in _ordered(theirs, ours):
            merge = self.keyed if name in KEYED_FIELDS else self.value
            value = merge(
                f"{path}.{name}",
                base.get(name, MISSING),
                ours.get(name, MISSING),
                theirs.get(name, MISSING),
            )
            if value is not MISSING:
                result[name] = value
        return result


def for_languages(document: Document, languages: list[str]) -> Document:
    """``document`` offering exactly ``languages``: other languages' prompts, voices and
    choices dropped. A language the document has no prompt for stays missing, for the
    validator to report."""
    result = copy.deepcopy(document)
    result["languages"] = list(languages)
    if isinstance(result.get("voices"), dict):
        voices = {k: v for k, v in result["voices"].items() if k in languages}
        if voices:
            result["voices"] = voices
        else:
            del result["voices"]
    settings = _mapping(result.get("settings"))
    for name in SETTINGS_WITH_PROMPTS:
        entry = settings.get(name)
        if isinstance(entry, dict) and isinstance(entry.get("prompt"), dict):
            prompts = entry["prompt"]
            entry["prompt"] = {lang: prompts[lang] for lang in languages if lang in prompts}
    for node in _mapping(result.get("nodes")).values():
        if not isinstance(node, dict):
            continue
        for name in PROMPT_FIELDS:
            if isinstance(node.get(name), dict):
                prompts = node[name]
                node[name] = {lang: prompts[lang] for lang in languages if lang in prompts}
        if node.get("kind") == "language" and isinstance(node.get("choices"), dict):
            node["choices"] = {k: v for k, v in node["choices"].items() if v in languages}
    return result


def place_notice(
    document: Document, node_id: str, prompts: dict[str, Any], placement: Placement
) -> tuple[Document, NoticeChange]:
    """Put a message node ``node_id`` saying ``prompts`` (by language) into the menu.

    Only the menu's languages are used from ``prompts``. ``after_language`` puts it
    between the start language node and the node that leads on to; a menu that does not
    start with a language choice gets it at the start. ``start`` puts it before the start
    node. A node ``node_id`` already there (last week's notice) keeps its place and gets
    the new prompts.
    """
    if placement not in PLACEMENTS:
        raise ValueError(f"unknown placement {placement!r}")
    result = copy.deepcopy(document)
    nodes = _mapping(result.get("nodes"))
    texts = {lang: prompts[lang] for lang in result.get("languages") or () if lang in prompts}
    existing = nodes.get(node_id, MISSING)
    if existing is not MISSING:
        _check_notice(node_id, existing)
        if existing.get("prompt") == texts:
            return result, "unchanged"
        existing["prompt"] = texts
        return result, "replaced"
    start = result.get("start")
    first = nodes.get(start) if isinstance(start, str) else None
    if placement == "after_language" and isinstance(first, dict) and _is_language(first):
        assert isinstance(start, str)
        notice = {"kind": "message", "prompt": texts, "next": first.get("next")}
        first["next"] = node_id
        result["nodes"] = _insert_after(nodes, start, node_id, notice)
        return result, "inserted_after_language"
    notice = {"kind": "message", "prompt": texts, "next": start}
    result["start"] = node_id
    result["nodes"] = {node_id: notice, **nodes}
    return result, "inserted_at_start"


def remove_notice(document: Document, node_id: str) -> tuple[Document, RemovalChange]:
    """Take the message node ``node_id`` out; whatever led to it leads where it led."""
    result = copy.deepcopy(document)
    nodes = _mapping(result.get("nodes"))
    node = nodes.get(node_id, MISSING)
    if node is MISSING:
        return result, "unchanged"
    _check_notice(node_id, node)
    onward = node.get("next")
    del nodes[node_id]
    if result.get("start") == node_id:
        result["start"] = onward
    for other in nodes.values():
        if isinstance(other, dict):
            _redirect(other, node_id, onward)
    return result, "removed"


def _is_language(node: dict[str, Any]) -> bool:
    return node.get("kind") == "language"


def _check_notice(node_id: str, node: Any) -> None:
    if not isinstance(node, dict) or node.get("kind") != "message":
        kind = node.get("kind") if isinstance(node, dict) else None
        raise NoticeInvalid(
            f"nodes.{node_id}", f"this id is taken by a node of kind {kind!r}, not a message"
        )


def _redirect(node: dict[str, Any], old: str, new: Any) -> None:
    for name in EDGE_FIELDS:
        if node.get(name) == old:
            node[name] = new
    options = node.get("options")
    if isinstance(options, dict):
        for key, option in options.items():
            if option == old:
                options[key] = new
            elif isinstance(option, dict) and option.get("next") == old:
                option["next"] = new


def _insert_after(nodes: Document, anchor: str, node_id: str, node: Any) -> Document:
    result: Document = {}
    for key, value in nodes.items():
        result[key] = value
        if key == anchor:
            result[node_id] = node
    return result


def _mapping(value: Any) -> Document:
    return value if isinstance(value, dict) else {}


def _keyed(mapping: dict[Any, Any]) -> dict[Any, Any]:
    """Keys as a caller sees them: YAML's ``1:`` (an int) and ``"1":`` are one phone key."""
    return {_key(k): v for k, v in mapping.items()}


def _key(key: Any) -> Any:
    return str(key) if isinstance(key, int) and not isinstance(key, bool) else key


def _ordered(*mappings: dict[Any, Any]) -> list[Any]:
    """Every key of the mappings, each once: the first mapping's order, then the next's."""
    seen: dict[Any, None] = {}
    for mapping in mappings:
        for key in mapping:
            seen.setdefault(key, None)
    return list(seen)
