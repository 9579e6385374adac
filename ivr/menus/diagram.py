"""A menu drawn as an SVG diagram, with the gaps an author should see marked on it.

Pure: no Flask, no database. It must draw drafts the validator refuses, so the YAML is
read leniently into plain data and every edge comes from the raw node mappings; a node
with a bad kind or a broken reference is still drawn, and the problem is a warning.

Layout: one column per breadth-first depth from ``start``, left to right, nodes in the
order the search finds them; unreachable nodes in a last column of their own, and each
reference to a missing node as a dashed box after the node that names it. Output
depends only on the input, so the same document always gives the same SVG. The drawing
itself is :mod:`ivr.menus.diagram_svg`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import NamedTuple

from ivr.menus.diagram_svg import (
    BOX_W,
    GAP_X,
    GAP_Y,
    LEFT,
    MISSING,
    TOP,
    Box,
    Labels,
    RawNode,
    box_height,
    empty_svg,
    render,
)
from ivr.menus.document import EXIT_KINDS
from ivr.menus.yaml_source import YamlInvalid, load_yaml

__all__ = ["Diagram", "DiagramWarning", "Labels", "draw"]

EDGE_FIELDS = ("fallback", "next", "no_answer", "open", "closed")  # after a menu's options
PROMPT_FIELDS = ("prompt", "invalid", "thanks")
KINDS_NEEDING_PROMPT = frozenset({"menu", "language", "message", "voicemail"})
WARNING_KINDS = ("missing_node", "dead_end", "unreachable", "missing_translation")


class DiagramWarning(NamedTuple):
    node: str | None  # the node to look at, or None for the document as a whole
    kind: str  # one of WARNING_KINDS, or invalid_yaml / invalid_document
    message: str


@dataclass(frozen=True)
class Diagram:
    svg: str
    warnings: list[DiagramWarning]
    languages: list[str] = field(default_factory=list)  # as the document offers them


def draw(text: str, language: str | None = None, labels: Labels | None = None) -> Diagram:
    """Draw ``text`` (a menu's YAML) with prompts in ``language`` (default: the first)."""
    labels = labels or Labels()
    try:
        data = load_yaml(text).data
    except YamlInvalid as error:
        message = labels.messages["invalid_yaml"].format(error=error.problem.message)
        return _empty(labels, DiagramWarning(None, "invalid_yaml", message))
    if not isinstance(data, dict) or not isinstance(data.get("nodes"), dict):
        message = labels.messages["invalid_document"]
        return _empty(labels, DiagramWarning(None, "invalid_document", message))
    offered = data.get("languages")
    languages = (
        [lang for lang in offered if isinstance(lang, str)] if isinstance(offered, list) else []
    )
    languages = list(dict.fromkeys(languages))
    language = language if language in languages else (languages[0] if languages else "zh")
    nodes: dict[str, RawNode] = {}
    for key, raw in data["nodes"].items():
        node_id = str(key)
        if node_id not in nodes:
            nodes[node_id] = _read_node(node_id, raw, labels)
    start = data.get("start")
    start = str(start) if isinstance(start, str | int) and not isinstance(start, bool) else None
    entries = [e for e in _entries(data.get("settings")) if e in nodes and e != start]
    warnings, marks = _analyse(nodes, start, languages, labels, entries)
    boxes = _layout(nodes, start, entries)
    for box in boxes.values():
        box.warnings = marks.get(box.id, []) if box.node else ["missing_node"]
    svg = render(boxes, start if start in nodes else None, language, labels)
    return Diagram(svg, warnings, languages)


def _entries(settings: object) -> list[str]:
    """Where the settings send callers besides the start (the elderly path, the person key)."""
    if not isinstance(settings, dict):
        return []
    routes = [settings.get(name) for name in ("elderly", "person_key")]
    found = [str(r["next"]) for r in routes if isinstance(r, dict) and _is_ref(r.get("next"))]
    return list(dict.fromkeys(found))


def _read_node(node_id: str, raw: object, labels: Labels) -> RawNode:
    if not isinstance(raw, dict):
        return RawNode(node_id, "", {}, [])
    kind = raw.get("kind") if isinstance(raw.get("kind"), str) else ""
    edges: list[tuple[str, str, str]] = []
    options = raw.get("options")
    if isinstance(options, dict):
        for key, entry in options.items():
            target = entry.get("next") if isinstance(entry, dict) else entry
            if _is_ref(target):
                edges.append((f"options.{key}", labels.key.format(key=key), str(target)))
    for name in EDGE_FIELDS:
        if _is_ref(raw.get(name)):
            edges.append((name, labels.edges[name], str(raw[name])))
    return RawNode(node_id, str(kind), raw, edges)


def _is_ref(value: object) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool) and str(value) != ""


def _search(starts: list[str], neighbours: dict[str, list[str]]) -> dict[str, int]:
    """Breadth-first depth of every node reachable from ``starts``, in discovery order."""
    depth = {node_id: 0 for node_id in starts}
    queue = deque(starts)
    while queue:
        node_id = queue.popleft()
        for target in neighbours.get(node_id, []):
            if target not in depth:
                depth[target] = depth[node_id] + 1
                queue.append(target)
    return depth


def _forward_edges(nodes: dict[str, RawNode]) -> dict[str, list[str]]:
    return {n.id: [t for _, _, t in n.edges if t in nodes] for n in nodes.values()}


def _analyse(
    nodes: dict[str, RawNode],
    start: str | None,
    languages: list[str],
    labels: Labels,
    entries: list[str],
) -> tuple[list[DiagramWarning], dict[str, list[str]]]:
    """The warnings, document-level first then node by node; and each node's warning kinds."""
    say = labels.messages
    warnings: list[DiagramWarning] = []
    if start is None:
        warnings.append(DiagramWarning(None, "missing_node", say["no_start"]))
    elif start not in nodes:
        message = say["missing_start"].format(target=start)
        warnings.append(DiagramWarning(None, "missing_node", message))
    forward = _forward_edges(nodes)
    reachable = _search([start, *entries], forward) if start in nodes else {}
    backward: dict[str, list[str]] = {node_id: [] for node_id in nodes}
    for node_id, targets in forward.items():
        for target in targets:
            backward[target].append(node_id)
    can_exit = _search([n.id for n in nodes.values() if n.kind in EXIT_KINDS], backward)
    marks: dict[str, list[str]] = {}
    for node in nodes.values():
        found: list[DiagramWarning] = []
        for name, _, target in node.edges:
            if target not in nodes:
                message = say["missing_node"].format(node=node.id, field=name, target=target)
                found.append(DiagramWarning(node.id, "missing_node", message))
        if node.id not in reachable:
            message = say["unreachable"].format(node=node.id)
            found.append(DiagramWarning(node.id, "unreachable", message))
        if node.kind not in EXIT_KINDS and not node.edges:
            message = say["leads_nowhere"].format(node=node.id)
            found.append(DiagramWarning(node.id, "dead_end", message))
        elif node.id in reachable and node.id not in can_exit:
            found.append(DiagramWarning(node.id, "dead_end", say["dead_end"].format(node=node.id)))
        for name, missing in _missing_translations(node, languages):
            message = say["missing_translation"].format(
                node=node.id, field=name, languages=", ".join(missing)
            )
            found.append(DiagramWarning(node.id, "missing_translation", message))
        warnings.extend(found)
        kinds = {w.kind for w in found}
        marks[node.id] = [kind for kind in WARNING_KINDS if kind in kinds]
    return warnings, marks


def _missing_translations(node: RawNode, languages: list[str]) -> list[tuple[str, list[str]]]:
    found = []
    for name in PROMPT_FIELDS:
        value = node.raw.get(name)
        if value is None and name == "prompt" and node.kind in KINDS_NEEDING_PROMPT:
            value = {}
        if isinstance(value, dict):
            have = {str(key) for key in value}
            missing = [lang for lang in languages if lang not in have]
            if missing:
                found.append((name, missing))
    return found


def _layout(nodes: dict[str, RawNode], start: str | None, entries: list[str]) -> dict[str, Box]:
    """Place every node (and a box for each missing one) in columns, centred vertically;
    the settings' entries in the first column, under the start."""
    depth = _search([start, *entries], _forward_edges(nodes)) if start in nodes else {}
    columns: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node_id in depth:
        columns[depth[node_id]].append(node_id)
    unreachable = [node_id for node_id in nodes if node_id not in depth]
    if unreachable:
        columns.append(unreachable)
    missing: dict[str, int] = {}
    for c, column in enumerate(list(columns)):
        for node_id in column:
            for _, _, target in nodes[node_id].edges:
                if target not in nodes and target not in missing:
                    missing[target] = c + 1
    for target, c in missing.items():
        while len(columns) <= c:
            columns.append([])
        columns[c].append(MISSING + target)
    # A box is tall enough for its edges to leave it a label's height apart.
    heights = {box_id: box_height(nodes.get(box_id)) for column in columns for box_id in column}
    totals = [sum(heights[b] + GAP_Y for b in column) for column in columns]
    tallest = max(totals, default=0)
    boxes: dict[str, Box] = {}
    for c, column in enumerate(columns):
        y = TOP + (tallest - totals[c]) // 2
        for box_id in column:
            x = LEFT + c * (BOX_W + GAP_X)
            node = nodes.get(box_id)
            boxes[box_id] = Box(box_id, box_id.removeprefix(MISSING), x, y, node, heights[box_id])
            y += heights[box_id] + GAP_Y
    return boxes


def _empty(labels: Labels, warning: DiagramWarning) -> Diagram:
    """No diagram can be drawn: an SVG that says so, and the warning naming why."""
    return Diagram(empty_svg(labels, warning.message), [warning])
