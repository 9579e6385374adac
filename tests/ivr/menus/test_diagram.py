"""The menu diagram: nodes, labelled edges and warnings, on good and broken documents."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.diagram import Labels, draw

SVG = "{http://www.w3.org/2000/svg}"

BROKEN = """\
start: main
languages: [zh, en]
nodes:
  main:
    kind: menu
    prompt: {zh: 请按键, en: Press a key}
    options:
      1: vm
      2: {next: nowhere}
      3: spin
    fallback: vm
  spin: {kind: message, prompt: {zh: 转圈, en: round}, next: spin_more}
  spin_more: {kind: message, prompt: {zh: 再转, en: again}, next: spin}
  vm:
    kind: voicemail
    prompt: {zh: 请留言}
    thanks: {en: Thanks}
  orphan: {kind: hangup, prompt: {zh: 再见, en: Bye}}
  stuck: {kind: menu, prompt: {zh: 卡住, en: Stuck}}
"""


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)  # well-formed XML, or this raises


def groups(root: ET.Element) -> dict[str, ET.Element]:
    return {g.get("id"): g for g in root.iter(f"{SVG}g") if g.get("id")}


def texts(element: ET.Element) -> list[str]:
    return [t.text or "" for t in element.iter(f"{SVG}text")]


def test_the_default_menu_draws_every_node_and_labelled_edge():
    diagram = draw(default_menu_yaml(["zh", "yue", "en"]), "en")
    root = parse(diagram.svg)
    assert root.get("role") == "img" and root.get("width") == root.get("viewBox").split()[2]
    assert root.get("viewBox").startswith("0 0 ")
    assert root.find(f"{SVG}title").text.startswith("Menu diagram")
    nodes = groups(root)
    expected = ["choose_language", "main", "medical_notice", "vm_food", "vm_general"]
    assert all(f"node-{n}" in nodes for n in expected)
    assert len([n for n in nodes if n.startswith("node-")]) == 14  # 2 on the elderly path
    main = texts(nodes["node-main"])
    assert main[0] == "main" and main[1] == "menu"
    assert main[2].startswith("“For food and daily suppli")
    assert "✉ voicemail · food · normal" in texts(nodes["node-vm_food"])
    assert "☎ forward · sequential" in texts(nodes["node-forward_worker"])
    assert "exit" in nodes["node-vm_food"].get("class").split()
    assert "exit" not in nodes["node-main"].get("class").split()
    labels = [t.text for t in root.iter(f"{SVG}text") if t.get("class") == "edge-label"]
    for label in ["key 1", "key 0", "fallback", "next", "open", "closed", "no answer"]:
        assert label in labels
    arrows = [p for p in root.iter(f"{SVG}path") if "edge" in (p.get("class") or "")]
    assert all(p.get("marker-end") for p in arrows)
    # the nodes' edges (language 1, main 7, two messages, hours 2, forward 1), the elderly
    # path's (hours 2, forward 1) and the start
    assert len(arrows) == 1 + 7 + 2 + 2 + 1 + 3 + 1
    assert diagram.warnings == [] and diagram.languages == ["zh", "yue", "en"]


def test_prompts_are_drawn_in_the_chosen_language_and_default_to_the_first():
    text = default_menu_yaml(["zh", "en"])
    assert "“需要粮油蔬菜" in " ".join(texts(groups(parse(draw(text).svg))["node-main"]))
    chosen = draw(text, "en").svg
    assert "“For food" in chosen and "需要粮油蔬菜" not in chosen
    assert draw(text, "fr").svg == draw(text).svg


def test_a_transfer_shows_its_target_station():
    text = """\
start: go
languages: [zh]
nodes:
  go: {kind: transfer, station: baiyun-tongde, prompt: {zh: 正在转接}}
"""
    assert "⇢ transfer · → baiyun-tongde" in texts(groups(parse(draw(text).svg))["node-go"])


def test_each_warning_kind_is_found_and_marked_on_its_node():
    diagram = draw(BROKEN)
    found = [(w.node, w.kind) for w in diagram.warnings]
    assert found == [
        ("main", "missing_node"),
        ("spin", "dead_end"),
        ("spin_more", "dead_end"),
        ("vm", "missing_translation"),
        ("vm", "missing_translation"),
        ("orphan", "unreachable"),
        ("stuck", "unreachable"),
        ("stuck", "dead_end"),
    ]
    messages = {(w.node, w.kind): w.message for w in diagram.warnings}
    assert "options.2" in messages[("main", "missing_node")]
    assert "'nowhere'" in messages[("main", "missing_node")]
    vm = [w.message for w in diagram.warnings if w.node == "vm"]
    assert vm == ["vm: prompt has no text for en", "vm: thanks has no text for zh"]
    nodes = groups(parse(diagram.svg))
    # Colour is never the only signal: every warned node says what is wrong in words.
    assert "⚠ dead end" in texts(nodes["node-spin"])
    assert "⚠ missing translation" in texts(nodes["node-vm"])
    assert "⚠ dead end · unreachable" in texts(nodes["node-stuck"])
    assert "⚠ unreachable" in texts(nodes["node-orphan"])
    assert "warn-unreachable" in nodes["node-orphan"].get("class")
    assert "missing-nowhere" in nodes  # the missing node is drawn, dashed
    assert "? missing" in texts(nodes["missing-nowhere"])
    assert not any(
        w.kind for w in diagram.warnings if w.node == "main" and w.kind != "missing_node"
    )


def test_unreachable_nodes_sit_in_a_last_column_of_their_own():
    root = parse(draw(BROKEN).svg)
    nodes = groups(root)

    def x(node_id: str) -> int:
        return int(nodes[f"node-{node_id}"].find(f"{SVG}rect").get("x"))

    assert x("main") < x("vm") < x("spin_more") < x("orphan") == x("stuck")
    assert "unreachable" in texts(root)


def test_a_missing_or_absent_start_is_reported():
    assert [(w.node, w.kind) for w in draw("nodes: {a: {kind: hangup}}").warnings][0] == (
        None,
        "missing_node",
    )
    warnings = draw("start: b\nnodes: {a: {kind: hangup}}").warnings
    assert warnings[0].kind == "missing_node" and "'b'" in warnings[0].message


def test_a_node_with_no_way_on_is_a_dead_end_even_when_an_exit_is_elsewhere():
    text = """\
start: main
languages: [en]
nodes:
  main: {kind: menu, prompt: {en: Hi}, options: {1: info}, fallback: bye}
  info: {kind: message, prompt: {en: Info}}
  bye: {kind: hangup}
"""
    warnings = draw(text).warnings
    assert [(w.node, w.kind) for w in warnings] == [("info", "dead_end")]
    assert "leads nowhere" in warnings[0].message


@pytest.mark.parametrize(
    "text",
    ["start: [unclosed", "nodes:\n  a: 1\n  a: 2\n\tb", "key: value: other", "\x00"],
)
def test_yaml_that_cannot_be_read_gives_an_empty_diagram_and_one_warning(text):
    diagram = draw(text)
    assert len(diagram.warnings) == 1
    warning = diagram.warnings[0]
    assert warning.node is None and warning.kind == "invalid_yaml"
    root = parse(diagram.svg)
    assert root.get("role") == "img" and groups(root) == {}
    assert "YAML" in " ".join(texts(root))


@pytest.mark.parametrize("text", ["", "- a list", "start: main\nnodes: [a, b]", "42"])
def test_documents_without_a_nodes_mapping_give_an_empty_diagram(text):
    diagram = draw(text)
    assert [w.kind for w in diagram.warnings] == ["invalid_document"]
    parse(diagram.svg)


def test_half_written_nodes_still_draw():
    text = """\
start: main
languages: [zh]
nodes:
  main: {kind: menu, options: {1: a, "*": {nope: 1}}, fallback: a}
  a: just text
  b: {kind: 42, next: main}
  3: {kind: hangup}
"""
    diagram = draw(text)
    nodes = groups(parse(diagram.svg))
    assert {"node-main", "node-a", "node-b", "node-3"} <= set(nodes)
    assert "no kind" in texts(nodes["node-a"])
    kinds = {(w.node, w.kind) for w in diagram.warnings}
    assert ("a", "dead_end") in kinds and ("b", "unreachable") in kinds
    assert ("main", "missing_translation") in kinds  # a menu needs a prompt


def test_text_from_the_document_is_escaped():
    text = """\
start: "<b>"
languages: [zh]
nodes:
  "<b>":
    kind: menu
    prompt: {zh: "<script>x</script> & y"}
    options: {1: "\\"><script>y</script>"}
    fallback: "<b>"
"""
    diagram = draw(text)
    assert "<script" not in diagram.svg and "<b>" not in diagram.svg
    assert "&lt;script&gt;x&lt;/script&gt; &amp; y" in diagram.svg
    root = parse(diagram.svg)
    assert "node-<b>" in groups(root)
    assert "“<script>x</script> & y”" in texts(root)  # the text itself survives


def test_output_is_deterministic_and_labels_can_be_translated():
    assert draw(BROKEN).svg == draw(BROKEN).svg
    assert draw(BROKEN).warnings == draw(BROKEN).warnings
    chinese = Labels(key="按键 {key}", markers={**Labels().markers, "dead_end": "死路"})
    svg = draw(BROKEN, labels=chinese).svg
    assert "按键 1" in svg and "⚠ 死路" in svg


def test_long_prompts_are_cut_to_fit_their_box():
    text = (
        f"start: m\nlanguages: [zh]\nnodes:\n  m: {{kind: hangup, prompt: {{zh: {'很长' * 60}}}}}\n"
    )
    lines = texts(groups(parse(draw(text).svg))["node-m"])
    assert lines[2].endswith("…") and len(lines[2]) < 20
    assert re.fullmatch(r"“(很长)+.?…", lines[2])


def test_an_edge_back_past_other_columns_runs_below_every_box():
    text = """\
start: main
languages: [en]
nodes:
  main: {kind: menu, prompt: {en: Hi}, options: {1: info}, fallback: vm}
  info: {kind: message, prompt: {en: Info}, next: more}
  more: {kind: message, prompt: {en: More}, next: main}
  vm: {kind: voicemail, prompt: {en: Speak}}
"""
    root = parse(draw(text).svg)
    bottom = max(int(r.get("y")) + int(r.get("height")) for r in root.iter(f"{SVG}rect"))
    back = [p for p in root.iter(f"{SVG}path") if " V" in (p.get("d") or "")]
    assert len(back) == 1  # more → main passes the column of info and vm
    lane = int(re.search(r"V(\d+) H", back[0].get("d")).group(1))
    assert lane > bottom
