"""The shape of a menu as a graph: where callers can get to, and where they get stuck.

Pure functions over a :class:`Menu`, following :func:`successors`. Edges to node ids the
menu lacks are ignored, so these are safe on menus the validator has not yet accepted.
Lists come in document order (the order of ``menu.nodes``), so output is deterministic.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Collection, Iterable

from ivr.menus.document import AUTOMATIC_KINDS, EXIT_KINDS, Menu, successors

Neighbours = Callable[[str], Iterable[str]]


def edges(menu: Menu) -> list[tuple[str, str, str]]:
    """``(from, label, to)`` for every edge, by node then in :func:`successors` order."""
    return [
        (node_id, label, target)
        for node_id, node in menu.nodes.items()
        for label, target in successors(node)
    ]


def targets(menu: Menu, node_id: str) -> list[str]:
    """The existing nodes ``node_id`` leads to, each once, in edge order."""
    found = [target for _, target in successors(menu.nodes[node_id]) if target in menu.nodes]
    return list(dict.fromkeys(found))


def reachable(menu: Menu) -> set[str]:
    """Every node a call can get to from ``menu.start`` (the start included), or from the
    settings' entries (the elderly path, the person key)."""
    if menu.start not in menu.nodes:
        return set()
    starts = [menu.start, *(n for n in menu.entries() if n in menu.nodes)]
    return _search_all(starts, lambda node_id: targets(menu, node_id))


def unreachable(menu: Menu) -> list[str]:
    found = reachable(menu)
    return [node_id for node_id in menu.nodes if node_id not in found]


def nodes_without_exit(menu: Menu) -> list[str]:
    """Reachable nodes from which no exit node (voicemail, forward, …) can be reached.

    A caller entering one can never leave the menu except by hanging up.
    """
    predecessors = _predecessors(menu)
    exits = [node_id for node_id, node in menu.nodes.items() if node.kind in EXIT_KINDS]
    can_exit = _search_all(exits, lambda node_id: predecessors[node_id])
    found = reachable(menu)
    return [n for n in menu.nodes if n in found and n not in can_exit]


def loop_path(menu: Menu, node_id: str, within: Collection[str]) -> list[str]:
    """From ``node_id``, always taking the first edge inside ``within``, until a node repeats.

    The last element is the first node seen twice, so the path ends in the loop it falls
    into, e.g. ``[a, b, c, b]``. Stops early at a node with no edge inside ``within``.
    """
    path = [node_id]
    while True:
        inside = [t for t in targets(menu, path[-1]) if t in within]
        if not inside:
            return path
        path.append(inside[0])
        if inside[0] in path[:-1]:
            return path


def automatic_cycles(menu: Menu, kinds: Collection[str] = AUTOMATIC_KINDS) -> list[list[str]]:
    """Cycles made only of nodes of ``kinds``: a caller in one loops without pressing anything.

    One shortest cycle for each group of nodes that can all reach one another, starting
    at the group's first node in document order; the start is not repeated at the end.
    """
    inside = {node_id for node_id, node in menu.nodes.items() if node.kind in kinds}

    def forward(node_id: str) -> list[str]:
        return [t for t in targets(menu, node_id) if t in inside]

    predecessors = _predecessors(menu)
    cycles: list[list[str]] = []
    covered: set[str] = set()
    for node_id in (n for n in menu.nodes if n in inside and n not in covered):
        cycle = _shortest_cycle(node_id, forward)
        if cycle:
            backward = _search(node_id, lambda n: [p for p in predecessors[n] if p in inside])
            covered |= _search(node_id, forward) & backward
            cycles.append(cycle)
    return cycles


def _shortest_cycle(start: str, forward: Neighbours) -> list[str] | None:
    parents: dict[str, str] = {}
    queue = deque([start])
    while queue:
        node_id = queue.popleft()
        for target in forward(node_id):
            if target == start:
                cycle = [node_id]
                while cycle[-1] != start:
                    cycle.append(parents[cycle[-1]])
                return cycle[::-1]
            if target not in parents:
                parents[target] = node_id
                queue.append(target)
    return None


def _predecessors(menu: Menu) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {node_id: [] for node_id in menu.nodes}
    for node_id in menu.nodes:
        for target in targets(menu, node_id):
            found[target].append(node_id)
    return found


def _search(start: str, neighbours: Neighbours) -> set[str]:
    return _search_all([start], neighbours)


def _search_all(starts: Iterable[str], neighbours: Neighbours) -> set[str]:
    """Every node reachable from ``starts`` (included) by ``neighbours``."""
    seen = set(starts)
    queue = deque(seen)
    while queue:
        for neighbour in neighbours(queue.popleft()):
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append(neighbour)
    return seen
