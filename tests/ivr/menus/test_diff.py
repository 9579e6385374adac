"""Comparing two menu documents: unified lines and the per-node summary."""

from __future__ import annotations

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.diff import DiffLine, NodeChange, diff, node_summary, unified_lines

OLD = """start: main
languages: [zh]
nodes:
  main:
    kind: menu
    prompt: {zh: 留言请按1}
    options: {1: record}
    fallback: record
  record:
    kind: voicemail
    prompt: {zh: 请留言}
  bye:
    kind: hangup
"""
NEW = """start: main
languages: [zh, en]
nodes:
  main:
    kind: menu
    prompt: {zh: 留言请按1}
    options: {1: record, 2: notice}
    fallback: record
    timeout: 8
  notice:
    kind: message
    prompt: {zh: 防疫通知}
    next: record
  record:
    kind: voicemail
    prompt: {zh: 请留言}
"""


def test_lines_are_marked_added_removed_or_context():
    lines = unified_lines(OLD, NEW, "第1版", "第2版")
    assert lines[0] == DiffLine("header", "--- 第1版")
    assert lines[1] == DiffLine("header", "+++ 第2版")
    assert lines[2].kind == "hunk" and lines[2].text.startswith("@@ -1,")
    assert DiffLine("remove", "languages: [zh]") in lines
    assert DiffLine("add", "languages: [zh, en]") in lines
    assert DiffLine("add", "    timeout: 8") in lines
    assert DiffLine("remove", "  bye:") in lines
    assert DiffLine("context", "start: main") in lines
    kinds = {line.kind for line in lines}
    assert kinds == {"header", "hunk", "add", "remove", "context"}


def test_node_summary_names_added_removed_and_changed_nodes_with_their_fields():
    summary = node_summary(OLD, NEW)
    assert summary.readable
    assert summary.added == ["notice"]
    assert summary.removed == ["bye"]
    assert summary.changed == [NodeChange("main", ["options", "timeout"])]
    assert summary.top_level == ["languages"]
    assert not summary.empty


def test_identical_documents_have_no_changes():
    result = diff(OLD, OLD)
    assert result.identical and result.lines == [] and result.nodes.empty


def test_reformatting_changes_lines_but_no_node():
    block_style = OLD.replace("options: {1: record}", "options:\n      1: record")
    result = diff(OLD, block_style)
    assert not result.identical
    assert result.nodes.empty and result.nodes.readable


def test_a_node_replaced_by_something_that_is_not_a_mapping():
    broken = OLD.replace("  bye:\n    kind: hangup\n", "  bye: goodbye\n")
    assert node_summary(OLD, broken).changed == [NodeChange("bye", ["(node)"])]


def test_unreadable_documents_still_diff_by_line():
    bad = "start: main\nnodes: [unclosed\n"
    result = diff(OLD, bad)
    assert not result.nodes.readable and result.nodes.empty
    assert DiffLine("add", "nodes: [unclosed") in result.lines
    no_nodes = node_summary("start: a\nnodes: 3\n", "start: b\nnodes: 4\n")
    assert not no_nodes.readable and no_nodes.top_level == ["start"]


def test_the_default_template_in_two_language_sets():
    summary = node_summary(default_menu_yaml(["zh"]), default_menu_yaml(["zh", "yue"]))
    assert summary.added == ["choose_language"]
    assert summary.top_level == ["start", "languages", "settings"]
    changed = {change.node: change.fields for change in summary.changed}
    assert changed["main"] == ["prompt", "invalid"]
    assert "vm_food" in changed and "worker_hours" not in changed
