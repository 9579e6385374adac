"""Graph analysis over menus built directly from the dataclasses."""

from __future__ import annotations

from ivr.menus import graph
from ivr.menus.document import (
    AnyNode,
    ForwardNode,
    HangupNode,
    HoursNode,
    LanguageNode,
    Menu,
    MenuNode,
    MessageNode,
    Option,
    TransferNode,
    VoicemailNode,
)


def menu_of(*nodes: AnyNode, start: str | None = None) -> Menu:
    return Menu(start or nodes[0].id, ("en",), {node.id: node for node in nodes})


def menu(node_id: str, fallback: str, *targets: str) -> MenuNode:
    options = {str(i + 1): Option(str(i + 1), target) for i, target in enumerate(targets)}
    return MenuNode(id=node_id, options=options, fallback=fallback)


def message(node_id: str, next_id: str) -> MessageNode:
    return MessageNode(id=node_id, next=next_id)


SAMPLE = menu_of(
    LanguageNode(id="lang", choices={"1": "en"}, next="hours"),
    HoursNode(id="hours", open="main", closed="closed"),
    menu("main", "vm", "vm", "fw", "t", "main"),
    message("closed", "vm"),
    ForwardNode(id="fw", no_answer="vm"),
    TransferNode(id="t", station="haizhu"),
    VoicemailNode(id="vm"),
    HangupNode(id="old"),
)


def test_edges_in_document_and_successor_order() -> None:
    assert graph.edges(SAMPLE) == [
        ("lang", "next", "hours"),
        ("hours", "open", "main"),
        ("hours", "closed", "closed"),
        ("main", "key 1", "vm"),
        ("main", "key 2", "fw"),
        ("main", "key 3", "t"),
        ("main", "key 4", "main"),
        ("main", "fallback", "vm"),
        ("closed", "next", "vm"),
        ("fw", "no answer", "vm"),
    ]


def test_targets_are_existing_and_distinct() -> None:
    assert graph.targets(SAMPLE, "main") == ["vm", "fw", "t", "main"]
    broken = menu_of(menu("a", "nowhere", "b", "b"), HangupNode(id="b"))
    assert graph.targets(broken, "a") == ["b"]


def test_reachable_and_unreachable() -> None:
    assert graph.reachable(SAMPLE) == {"lang", "hours", "main", "closed", "fw", "t", "vm"}
    assert graph.unreachable(SAMPLE) == ["old"]


def test_unknown_start_reaches_nothing() -> None:
    broken = menu_of(HangupNode(id="a"), start="missing")
    assert graph.reachable(broken) == set()
    assert graph.unreachable(broken) == ["a"]
    assert graph.nodes_without_exit(broken) == []


def test_every_node_of_a_sound_menu_can_exit() -> None:
    assert graph.nodes_without_exit(SAMPLE) == []
    assert graph.automatic_cycles(SAMPLE) == []


def test_nodes_without_exit_are_reachable_ones_in_document_order() -> None:
    trapped = menu_of(
        menu("start", "b", "a"),
        menu("b", "a", "b"),
        menu("a", "b"),
        menu("lost", "lost"),
        VoicemailNode(id="vm"),
    )
    assert graph.nodes_without_exit(trapped) == ["start", "b", "a"]
    assert graph.loop_path(trapped, "start", {"start", "a", "b"}) == ["start", "a", "b", "b"]


def test_one_exit_anywhere_in_the_loop_is_enough() -> None:
    ok = menu_of(menu("a", "b"), menu("b", "a", "vm"), VoicemailNode(id="vm"))
    assert graph.nodes_without_exit(ok) == []


def test_a_forward_is_an_exit_and_the_caller_can_leave_a_menu_through_it() -> None:
    ok = menu_of(menu("a", "a", "fw"), ForwardNode(id="fw", no_answer="a"))
    assert graph.nodes_without_exit(ok) == []


def test_automatic_cycles() -> None:
    looping = menu_of(
        menu("main", "vm", "m1", "h"),
        message("m1", "m2"),
        message("m2", "m3"),
        message("m3", "m1"),
        HoursNode(id="h", open="h", closed="vm"),
        message("self", "self"),
        VoicemailNode(id="vm"),
    )
    assert graph.automatic_cycles(looping) == [["m1", "m2", "m3"], ["h"], ["self"]]


def test_automatic_cycle_is_the_shortest_one_through_the_first_node() -> None:
    looping = menu_of(
        HoursNode(id="a", open="b", closed="c"),
        message("b", "c"),
        message("c", "a"),
    )
    assert graph.automatic_cycles(looping) == [["a", "c"]]


def test_a_menu_in_the_loop_means_the_caller_is_asked() -> None:
    ok = menu_of(message("a", "m"), menu("m", "a", "vm"), VoicemailNode(id="vm"))
    assert graph.automatic_cycles(ok) == []


def test_automatic_cycles_over_other_kinds() -> None:
    forwards = menu_of(
        ForwardNode(id="f1", no_answer="m"),
        message("m", "f2"),
        ForwardNode(id="f2", no_answer="f1"),
    )
    assert graph.automatic_cycles(forwards) == []
    assert graph.automatic_cycles(forwards, {"forward", "message"}) == [["f1", "m", "f2"]]


def test_loop_path_stops_where_no_edge_stays_inside() -> None:
    assert graph.loop_path(SAMPLE, "lang", {"lang", "hours"}) == ["lang", "hours"]
