"""Transfers between stations: to a station that no longer answers, or round a chain
that brings the caller back to where they started.

A transfer is "automatic" when a caller entering the menu at its start reaches it without
pressing a key (through messages and opening-hours branches). A chain of automatic
transfers back to its start never ends: the engine gives up after
``transfers.MAX_TRANSFERS`` and the caller hears an apology. A chain that needs keys on
the way only sends a caller back to a menu they have heard.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass

from ivr.menus import graph
from ivr.menus.document import AUTOMATIC_KINDS, Menu, TransferNode
from ivr.menus.lint.facts import Peer
from ivr.menus.lint.problems import Problem, Severity
from ivr.menus.lint.station import LiveStation
from ivr.menus.validate import MenuInvalid
from ivr.menus.versions import parse_cached
from ivr.menus.wording import N_


@dataclass(frozen=True)
class Hop:
    node: str  # the transfer node
    target: str  # the station code it transfers to
    automatic: bool  # reached from the menu's start without a key


def hops(menu: Menu) -> list[Hop]:
    """The transfers a caller can reach in ``menu``, in document order."""
    reachable = graph.reachable(menu)
    automatic = _reached_without_keys(menu)
    return [
        Hop(node_id, node.station, node_id in automatic)
        for node_id, node in menu.nodes.items()
        if isinstance(node, TransferNode) and node_id in reachable
    ]


def _reached_without_keys(menu: Menu) -> set[str]:
    if menu.start not in menu.nodes:
        return set()
    seen, queue = {menu.start}, deque([menu.start])
    while queue:
        node_id = queue.popleft()
        if menu.nodes[node_id].kind not in AUTOMATIC_KINDS:
            continue
        for target in graph.targets(menu, node_id):
            if target not in seen:
                seen.add(target)
                queue.append(target)
    return seen


class TransferNetwork:
    """Every station's reachable transfers, worked out once per distinct menu text."""

    def __init__(self, peers: dict[str, Peer]) -> None:
        self.peers = peers
        by_text: dict[str, list[Hop]] = {}
        self.edges: dict[str, list[Hop]] = {}
        for code, peer in peers.items():
            if not peer.active:
                continue
            if peer.text not in by_text:
                by_text[peer.text] = _hops_of(peer.text)
            self.edges[code] = by_text[peer.text]

    def answers(self, code: str) -> bool:
        peer = self.peers.get(code)
        return peer is not None and peer.active

    def way_back(self, start: str, home: str) -> list[Hop] | None:
        """The shortest chain of transfers from ``start`` to ``home``, if there is one."""
        parents: dict[str, tuple[str, Hop] | None] = {start: None}
        queue = deque([start])
        while queue:
            code = queue.popleft()
            for hop in self.edges.get(code, ()):
                if hop.target in parents:
                    continue
                parents[hop.target] = (code, hop)
                if hop.target == home:
                    return _path(parents, home)
                queue.append(hop.target)
        return None

    def name(self, code: str) -> str:
        peer = self.peers.get(code)
        return peer.name_zh if peer is not None else code


def _hops_of(text: str) -> list[Hop]:
    try:
        return hops(parse_cached(text))
    except MenuInvalid:
        return []  # a menu that does not load transfers nobody (its own check says why)


def _path(parents: dict[str, tuple[str, Hop] | None], end: str) -> list[Hop]:
    path: list[Hop] = []
    step = parents[end]
    while step is not None:
        code, hop = step
        path.append(hop)
        step = parents[code]
    return path[::-1]


def transfer_chains(station: LiveStation, network: TransferNetwork) -> Iterator[Problem]:
    home = station.subject.ref.code
    for hop in hops(station.menu):
        if not network.answers(hop.target):
            message = N_(
                "转到社工站 %(station)s，但它不存在或已停用：来电者只会听到道歉",
                station=network.name(hop.target),
            )
            yield station.problem("transfer_unavailable", Severity.ERROR, hop.node, message)
            continue
        back = [] if hop.target == home else network.way_back(hop.target, home)
        if back is None:
            continue
        chain = [hop, *back]
        names = " → ".join([station.subject.ref.name_zh] + [network.name(h.target) for h in chain])
        if all(h.automatic for h in chain):
            message = N_("转接链无限循环，来电者只会听到道歉：%(chain)s", chain=names)
            yield station.problem("transfer_loop", Severity.ERROR, hop.node, message)
        else:
            message = N_("转接链会把来电者送回起点：%(chain)s", chain=names)
            yield station.problem("transfer_loop", Severity.WARNING, hop.node, message)
