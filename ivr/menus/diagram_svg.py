"""Drawing a laid-out menu as SVG: boxes for nodes, labelled arrows for edges.

Every piece of text from the document is escaped here (``escape`` for element text,
``quoteattr`` for attribute values); nothing from the document reaches the SVG raw.
Coordinates are whole numbers, so the same layout always gives the same text.

Readable at 100 %: one unit is one CSS pixel (the SVG has its natural width and height;
the page zooms and pans it), no text is smaller than 12 px, and edge labels are placed
so that no two overlap (:func:`_place_labels`, on generous estimates of text widths).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from ivr.menus.document import EXIT_KINDS

# Okabe–Ito colours (distinguishable with any colour vision) and a dash pattern for each
# warning, most serious first; every warned node also carries a ⚠ text marker.
WARNING_STYLE = {
    "missing_node": ("#D55E00", "6 3"),
    "dead_end": ("#D55E00", ""),
    "unreachable": ("#CC79A7", "4 4"),
    "missing_translation": ("#0072B2", ""),
}
EXIT_ICONS = {"voicemail": "✉", "forward": "☎", "transfer": "⇢", "callback": "↺", "hangup": "✕"}

BOX_W, BOX_H, GAP_X, GAP_Y = 250, 90, 150, 36
LEFT, TOP, BOTTOM = 80, 44, 60
EDGE_PITCH = 24  # vertical room per edge leaving a box: a label's height and a little
LANE_PITCH = 24
TEXT_SIZE, ID_SIZE, LABEL_SIZE = 13, 14, 12  # px; nothing drawn smaller than 12
# Prefixes the layout key of a box drawn for a missing node; YAML text cannot hold NUL,
# so no node id from a document starts with it.
MISSING = "\0"
TEXT_UNITS = 28  # a box holds about this many narrow characters (wide ones count twice)
BOLD_UNITS = 24


def _english_kinds() -> dict[str, str]:
    return {
        "menu": "menu",
        "language": "language",
        "message": "message",
        "voicemail": "voicemail",
        "forward": "forward",
        "transfer": "transfer",
        "hours": "hours",
        "callback": "call back",
        "hangup": "hang up",
        "": "no kind",
    }


def _english_messages() -> dict[str, str]:
    return {
        "unreachable": "{node}: no path from the start leads here",
        "dead_end": "{node}: a caller here can never reach a voicemail, forward, transfer "
        "or hang-up",
        "leads_nowhere": "{node}: leads nowhere (no next node)",
        "missing_node": "{node}: {field} leads to '{target}', which is not a node",
        "missing_start": "start: '{target}' is not a node",
        "no_start": "the document names no start node",
        "missing_translation": "{node}: {field} has no text for {languages}",
        "invalid_yaml": "the YAML cannot be read: {error}",
        "invalid_document": "the document is not a mapping with nodes",
    }


@dataclass(frozen=True)
class Labels:
    """The words drawn and the warning messages; the page passes translated ones."""

    title: str = "Menu diagram"
    start: str = "start"
    key: str = "key {key}"
    missing: str = "missing"
    unreachable_column: str = "unreachable"
    edges: dict[str, str] = field(
        default_factory=lambda: {
            "fallback": "fallback",
            "next": "next",
            "no_answer": "no answer",
            "open": "open",
            "closed": "closed",
        }
    )
    kinds: dict[str, str] = field(default_factory=_english_kinds)
    markers: dict[str, str] = field(
        default_factory=lambda: {
            "missing_node": "missing node",
            "dead_end": "dead end",
            "unreachable": "unreachable",
            "missing_translation": "missing translation",
        }
    )
    messages: dict[str, str] = field(default_factory=_english_messages)


@dataclass
class RawNode:
    """A node as the raw document has it, with the edges read from its fields."""

    id: str
    kind: str  # "" when missing or not a string
    raw: dict[Any, Any]
    edges: list[tuple[str, str, str]]  # (field, label, target)


@dataclass
class Box:
    """Where a node (or a placeholder for a missing one) is drawn, and its warnings."""

    key: str  # the node id, or MISSING + the id a reference names but no node has
    id: str
    x: int
    y: int
    node: RawNode | None  # None: a placeholder for a missing node
    h: int = BOX_H
    warnings: list[str] = field(default_factory=list)


def box_height(node: RawNode | None) -> int:
    """Tall enough for every edge to leave the box :data:`EDGE_PITCH` below the last."""
    edges = len(node.edges) if node is not None else 0
    return max(BOX_H, (edges + 1) * EDGE_PITCH)


@dataclass(frozen=True)
class EdgeLabel:
    """An edge's label and where it would best stand (its baseline's start or middle)."""

    text: str
    x: int
    y: int
    anchor: str  # "start" or "middle"


def box_for(boxes: dict[str, Box], target: str) -> Box:
    return boxes.get(target) or boxes[MISSING + target]


def render(boxes: dict[str, Box], start: str | None, language: str, labels: Labels) -> str:
    width = max((b.x + BOX_W for b in boxes.values()), default=LEFT) + 40
    edges, edge_labels, lowest = _edges(boxes)
    height = max([b.y + b.h for b in boxes.values()] + [lowest], default=TOP) + BOTTOM
    nodes = [b for b in boxes.values() if b.node]
    parts = [svg_open(width, height, labels, len(nodes))]
    unreachable = [b for b in nodes if "unreachable" in b.warnings]
    if unreachable and all(b.x == unreachable[0].x for b in unreachable):
        x = unreachable[0].x
        parts.append(_line(x - GAP_X // 2, 8, x - GAP_X // 2, height - 8, "#999", "4 6"))
        parts.append(_text(x, 24, labels.unreachable_column, "label-column", weight="600"))
    if start is not None:
        box = boxes[start]
        y = box.y + box.h // 2
        parts.append(
            f'<path class="edge start" d="M10 {y} L{box.x - 2} {y}" stroke="#222" '
            'stroke-width="2" fill="none" marker-end="url(#diagram-arrow)"/>'
        )
        parts.append(_text(12, y - 8, labels.start, "label", weight="600"))
    parts.extend(edges)
    parts.extend(_box(box, language, labels) for box in boxes.values())
    parts.extend(_place_labels(edge_labels, boxes))
    parts.append("</svg>")
    return "".join(parts)


def svg_open(width: int, height: int, labels: Labels, count: int) -> str:
    title = escape(f"{labels.title} ({count})")
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="menu-diagram" viewBox="0 0 {width} '
        f'{height}" width="{width}" height="{height}" role="img" aria-labelledby="diagram-title" '
        f'font-family="system-ui, \'Noto Sans CJK SC\', sans-serif" font-size="{TEXT_SIZE}">'
        f'<title id="diagram-title">{title}</title>'
        '<defs><marker id="diagram-arrow" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0 0 L10 5 L0 10 z" fill="#333"/></marker>'
        '<marker id="diagram-arrow-missing" viewBox="0 0 10 10" refX="9" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M0 0 L10 5 L0 10 z" fill="#D55E00"/></marker></defs>'
    )


def _edges(boxes: dict[str, Box]) -> tuple[list[str], list[EdgeLabel], int]:
    """Every edge's path, every edge's label, and the lowest y any edge reaches.

    Edges ahead (always to the next column, as columns are breadth-first depths) leave a
    box's right side :data:`EDGE_PITCH` apart, labelled just where they leave, and enter
    the target's left side, spread out; edges back leave the left side for the target's
    right side (see :func:`_back_points`)."""
    ahead: dict[str, list[tuple[str, Box, tuple[int, int, int, str]]]] = {}
    back: dict[str, list[tuple[str, Box]]] = {}
    entering: dict[str, list[tuple[int, int, int, str]]] = {}
    for box in boxes.values():
        for index, (_, label, target) in enumerate(box.node.edges if box.node else []):
            to = box_for(boxes, target)
            if to.x > box.x:
                slot = (box.y, box.x, index, box.key)  # enter in the order sources stand
                ahead.setdefault(box.key, []).append((label, to, slot))
                entering.setdefault(to.key, []).append(slot)
            else:
                back.setdefault(box.key, []).append((label, to))
    for slots in entering.values():
        slots.sort()
    parts: list[str] = []
    names: list[EdgeLabel] = []
    floor = max((b.y + b.h for b in boxes.values()), default=TOP) + LANE_PITCH
    lanes = 0
    for box in boxes.values():
        edges = ahead.get(box.key, [])
        for i, (label, to, slot) in enumerate(edges):
            slots = entering[to.key]
            x0, y0 = box.x + BOX_W, box.y + box.h * (i + 1) // (len(edges) + 1)
            x1, y1 = to.x - 2, to.y + to.h * (slots.index(slot) + 1) // (len(slots) + 1)
            bend = max(40, (x1 - x0) // 2)
            points = ((x0, y0), (x0 + bend, y0), (x1 - bend, y1), (x1, y1))
            parts.append(_edge(points, to.node is None))
            names.append(EdgeLabel(label, x0 + 6, y0 - 5, "start"))
    for box in boxes.values():
        for i, (label, to) in enumerate(back.get(box.key, [])):
            if box.x - to.x > BOX_W + GAP_X:
                path, name = _lane_edge(box, to, i, floor + LANE_PITCH * lanes, lanes, label)
                lanes += 1
            else:
                points = _back_points(box, to, i)
                path, name = _edge(points, to.node is None), _label_at(points, 0.5, label)
            parts.append(path)
            names.append(name)
    return parts, names, floor + LANE_PITCH * lanes


def _lane_edge(box: Box, to: Box, i: int, lane: int, k: int, label: str) -> tuple[str, EdgeLabel]:
    """An edge back past other columns would cross their boxes: it runs down the gap
    beside its source, along a lane below every box, and up the gap beside its target."""
    lift = 10 + 9 * i
    x0, y0 = box.x, box.y + box.h - lift
    x1, y1 = to.x + BOX_W + 2, to.y + to.h - 8 - 7 * (k % 8)
    left, right = box.x - GAP_X // 3 - 6 * k, to.x + BOX_W + GAP_X // 3 + 6 * k
    d = f"M{x0} {y0} H{left} V{lane} H{right} V{y1} H{x1}"
    return _edge_path(d, to.node is None), EdgeLabel(label, (left + right) // 2, lane - 5, "middle")


def _back_points(box: Box, to: Box, i: int) -> tuple[tuple[int, int], ...]:
    """An edge to an earlier column runs left between the columns, into the target's right
    side low down; one within a column (or to itself) loops out to the right and back."""
    lift = 10 + 9 * i
    if to.x < box.x:
        x0, y0 = box.x, box.y + box.h - lift
        x1, y1 = to.x + BOX_W + 2, to.y + to.h - lift
        bend = max(50, (x0 - x1) // 2)
        return ((x0, y0), (x0 - bend, y0), (x1 + bend, y1), (x1, y1))
    x0, y0 = box.x + BOX_W, box.y + 12 + 6 * i
    x1, y1 = to.x + BOX_W + 2, to.y + to.h - lift
    reach = 50 + 12 * i + abs(y1 - y0) // 6
    return ((x0, y0), (x0 + reach, y0 - 10), (x1 + reach, y1 + 10), (x1, y1))


def _edge(points: tuple[tuple[int, int], ...], missing: bool) -> str:
    """A cubic curve through ``points``."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    return _edge_path(f"M{x0} {y0} C{x1} {y1} {x2} {y2} {x3} {y3}", missing)


def _label_at(points: tuple[tuple[int, int], ...], at: float, label: str) -> EdgeLabel:
    """A label centred a fraction ``at`` of the way along the curve through ``points``."""
    (x0, y0), (x1, y1), (x2, y2), (x3, y3) = points
    u = 1 - at
    lx = round(u**3 * x0 + 3 * u * u * at * x1 + 3 * u * at * at * x2 + at**3 * x3)
    ly = round(u**3 * y0 + 3 * u * u * at * y1 + 3 * u * at * at * y2 + at**3 * y3)
    return EdgeLabel(label, lx, ly - 4, "middle")


def _edge_path(d: str, missing: bool) -> str:
    style = (
        'stroke="#D55E00" stroke-dasharray="6 3" marker-end="url(#diagram-arrow-missing)"'
        if missing
        else 'stroke="#444" marker-end="url(#diagram-arrow)"'
    )
    return (
        f'<path class="edge{" missing" if missing else ""}" d="{d}" fill="none" '
        f'stroke-width="1.5" stroke-linejoin="round" {style}/>'
    )


Rect = tuple[float, float, float, float]  # left, top, right, bottom


def _label_rect(label: EdgeLabel, text: str, dx: int, dy: int) -> Rect:
    """Where ``text`` will be, estimated generously: wide characters 1 em, others 0.72 em,
    and the font's full ascent and descent (CJK fonts are tall)."""
    width = sum(
        LABEL_SIZE if unicodedata.east_asian_width(char) in "WF" else LABEL_SIZE * 0.72
        for char in text
    )
    left = label.x + dx - (width / 2 if label.anchor == "middle" else 0)
    baseline = label.y + dy
    return (
        left - 3,
        baseline - LABEL_SIZE * 1.2 - 1,
        left + width + 3,
        baseline + LABEL_SIZE * 0.35,
    )


def _overlaps(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


# Places a label may move to, nearest first: up and down, then sideways as well.
NUDGES = [(0, 0)] + [
    (dx, dy)
    for step in range(1, 9)
    for dx in (0, 24 * (step // 3), -24 * (step // 3))
    for dy in (-6 * step, 6 * step)
]


def _place_labels(labels: list[EdgeLabel], boxes: dict[str, Box]) -> list[str]:
    """Each label at the first of its :data:`NUDGES` clear of the labels placed before it
    and of every box; the first labels (edges ahead, in reading order) rarely move."""
    taken: list[Rect] = [(b.x - 1, b.y - 1, b.x + BOX_W + 1, b.y + b.h + 1) for b in boxes.values()]
    parts = []
    for label in labels:
        text = _fit(label.text, 16)
        dx, dy = next(
            (
                (dx, dy)
                for dx, dy in NUDGES
                if not any(_overlaps(_label_rect(label, text, dx, dy), r) for r in taken)
            ),
            (0, 0),
        )
        taken.append(_label_rect(label, text, dx, dy))
        parts.append(
            f'<text class="edge-label" x="{label.x + dx}" y="{label.y + dy}" '
            f'text-anchor="{label.anchor}" font-size="{LABEL_SIZE}" paint-order="stroke" '
            f'stroke="#fff" stroke-width="4" stroke-linejoin="round" fill="#222">'
            f"{escape(text)}</text>"
        )
    return parts


def _box(box: Box, language: str, labels: Labels) -> str:
    colour, dash = WARNING_STYLE[box.warnings[0]] if box.warnings else ("#555", "")
    node = box.node
    kind = node.kind if node else ""
    exit_node = kind in EXIT_KINDS
    classes = " ".join(
        ["node", f"kind-{kind or 'none'}", *(["exit"] if exit_node else [])]
        + [f"warn-{w}" for w in box.warnings]
    )
    anchor = f"node-{box.id}" if node else f"missing-{box.id}"
    fill = "#EAF5F0" if exit_node else ("#FFF7F2" if node is None else "#FFFFFF")
    dashes = f' stroke-dasharray="{dash}"' if dash else ""
    width = 2.5 if box.warnings else 1.5
    parts = [
        f"<g id={quoteattr(anchor)} class={quoteattr(classes)}>",
        f"<title>{escape(box.id)}</title>",
        f'<rect x="{box.x}" y="{box.y}" width="{BOX_W}" height="{box.h}" rx="10" '
        f'fill="{fill}" stroke="{colour}" stroke-width="{width}"{dashes}/>',
    ]
    if exit_node:  # a second, inner border: exits stand out without relying on colour
        parts.append(
            f'<rect x="{box.x + 4}" y="{box.y + 4}" width="{BOX_W - 8}" height="{box.h - 8}" '
            f'rx="7" fill="none" stroke="#009E73" stroke-width="1"/>'
        )
    if box.warnings:
        parts.append(
            f'<rect x="{box.x}" y="{box.y + 10}" width="5" height="{box.h - 20}" fill="{colour}"/>'
        )
    x = box.x + 12
    parts.append(_text(x, box.y + 21, _fit(box.id, BOLD_UNITS), "node-id", "700", ID_SIZE))
    if node is None:
        parts.append(_text(x, box.y + 41, f"? {labels.missing}", "node-kind"))
    else:
        parts.append(_text(x, box.y + 41, _fit(_kind_line(node, labels), TEXT_UNITS), "node-kind"))
        prompt = _prompt_line(node.raw.get("prompt"), language)
        if prompt:
            parts.append(_text(x, box.y + 60, _fit(prompt, TEXT_UNITS), "node-prompt"))
    if box.warnings:
        marker = "⚠ " + " · ".join(labels.markers[w] for w in box.warnings)
        y = box.y + max(80, box.h - 10)
        parts.append(_text(x, y, _fit(marker, BOLD_UNITS), "node-warning", "700", LABEL_SIZE))
    parts.append("</g>")
    return "".join(parts)


def _kind_line(node: RawNode, labels: Labels) -> str:
    raw, kind = node.raw, node.kind
    name = labels.kinds.get(kind, kind)
    icon = EXIT_ICONS.get(kind)
    detail: list[str] = []
    if kind == "voicemail":
        tags = raw.get("tags")
        detail = [str(t) for t in tags] if isinstance(tags, list) else []
        detail.append(str(raw.get("priority", "normal")))
    elif kind == "transfer":
        detail = [f"→ {raw.get('station', '?')}"]
    elif kind == "forward":
        detail = [str(raw.get("strategy", "sequential"))]
    elif kind == "language" and isinstance(raw.get("choices"), dict):
        detail = [f"{key} {lang}" for key, lang in raw["choices"].items()]
    return " · ".join([f"{icon} {name}" if icon else name, *detail])


def _prompt_line(prompts: object, language: str) -> str:
    """The first line of the prompt in ``language``; a played file shows as ♪ name."""
    if not isinstance(prompts, dict):
        return ""
    entry = prompts.get(language)
    if isinstance(entry, dict):
        if entry.get("play") is not None:
            return f"♪ {entry['play']}"
        entry = entry.get("say")
    if entry is None or isinstance(entry, dict | list):
        return ""
    lines = str(entry).strip().splitlines()
    return f"“{lines[0]}”" if lines else ""


def _fit(text: str, units: int) -> str:
    """``text`` cut to about ``units`` narrow characters (wide CJK ones count as two)."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if unicodedata.east_asian_width(char) in "WF" else 1
        if used > units:
            return text[: max(index - 1, 0)] + "…"
    return text


def _text(x: int, y: int, text: str, css: str, weight: str = "400", size: int = TEXT_SIZE) -> str:
    return (
        f'<text class="{css}" x="{x}" y="{y}" font-size="{size}" font-weight="{weight}" '
        'fill="#111">'
        f"{escape(text)}</text>"
    )


def _line(x0: int, y0: int, x1: int, y1: int, colour: str, dash: str) -> str:
    return (
        f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y1}" stroke="{colour}" '
        f'stroke-dasharray="{dash}"/>'
    )


def empty_svg(labels: Labels, message: str) -> str:
    """An SVG with no diagram, saying why."""
    return (
        svg_open(560, 60, labels, 0) + _text(16, 34, _fit(message, 76), "diagram-empty") + "</svg>"
    )
