"""Where a menu problem is: its node, its field within the node, and its line in the text.

The validator names each problem by a dotted path (``nodes.main.options.1.next``); an
editor wants to put the message on the card of node ``main``, next to field
``options.1.next``, and in the YAML view at the line that holds it. Pure functions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from ivr.menus.fields import MenuProblem
from ivr.menus.wording import Text
from ivr.menus.yaml_source import MenuLoader

# Syntax errors and repeated keys name their line in the message already.
LINE_IN_MESSAGE = re.compile(r"\bat line (\d+)")


@dataclass(frozen=True)
class LocatedProblem:
    path: str
    node: str | None  # the node id when the path is inside ``nodes``
    field: str  # the path within the node ("" for the node itself), else the whole path
    message: str  # rendered in the reader's language
    line: int | None  # 1-based line in the YAML text, when known

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def locate(text: str, problems: Iterable[MenuProblem]) -> list[LocatedProblem]:
    """Each problem with its node, field and line (``text`` is composed once)."""
    problems = list(problems)
    root = _compose(text) if problems else None
    located = []
    for problem in problems:
        node, field = split_path(problem.path)
        line = _line_in_message(problem.message)
        if line is None and root is not None:
            line = line_of(root, problem.path)
        located.append(LocatedProblem(problem.path, node, field, str(problem.message), line))
    return located


def split_path(path: str) -> tuple[str | None, str]:
    """``nodes.main.options.1.next`` → (``main``, ``options.1.next``); others: (None, path)."""
    parts = path.split(".", 2)
    if len(parts) >= 2 and parts[0] == "nodes":
        return parts[1], parts[2] if len(parts) == 3 else ""
    return None, path


def line_of(root: Node, path: str) -> int | None:
    """The line of the deepest part of ``path`` the text has (a missing field: its parent)."""
    if path.startswith("("):  # "(document)": the whole text
        return None
    line = None
    node: Node | None = root
    for part in path.split("."):
        node, found = _child(node, part)
        if found is None:
            break
        line = found
    return line


def _child(node: Node | None, part: str) -> tuple[Node | None, int | None]:
    if isinstance(node, MappingNode):
        for key, value in node.value:
            if isinstance(key, ScalarNode) and str(key.value) == part:
                return value, key.start_mark.line + 1
    elif isinstance(node, SequenceNode) and part.isdigit() and int(part) < len(node.value):
        item = node.value[int(part)]
        return item, item.start_mark.line + 1
    return None, None


def _line_in_message(message: str | Text) -> int | None:
    if isinstance(message, Text):
        line = message.param("line")
        return line if isinstance(line, int) else None
    match = LINE_IN_MESSAGE.search(message)
    return int(match.group(1)) if match else None


def _compose(text: str) -> Node | None:
    try:
        return yaml.compose(text, Loader=MenuLoader)
    except (yaml.YAMLError, RecursionError, ValueError):
        return None
