"""A station under check: its facts and its live menu parsed, with the questions every
check asks of them (which nodes callers can reach, what they hear)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property

from ivr.menus import graph
from ivr.menus.document import AnyNode, Menu, MenuNode, Prompt, VoicemailNode
from ivr.menus.lint.facts import Subject
from ivr.menus.lint.problems import Problem, Severity
from ivr.menus.wording import N_, Text

LANGUAGE_NAMES = {"zh": N_("普通话"), "yue": N_("粤语"), "en": N_("英语")}


def language_name(code: str) -> Text | str:
    return LANGUAGE_NAMES.get(code, code)


@dataclass(frozen=True)
class LiveStation:
    subject: Subject
    menu: Menu

    @cached_property
    def reachable(self) -> frozenset[str]:
        return frozenset(graph.reachable(self.menu))

    def reachable_nodes(self, kind: str) -> list[tuple[str, AnyNode]]:
        """The reachable nodes of ``kind``, in document order."""
        return [
            (node_id, node)
            for node_id, node in self.menu.nodes.items()
            if node.kind == kind and node_id in self.reachable
        ]

    def first_reachable(self, kind: str) -> str | None:
        found = self.reachable_nodes(kind)
        return found[0][0] if found else None

    def prompts(self) -> Iterator[tuple[str, str, str, Prompt]]:
        """``(node id, field, language, prompt)`` for everything a caller can hear."""
        for node_id, node in self.menu.nodes.items():
            if node_id not in self.reachable:
                continue
            for name, prompts in _prompt_maps(node):
                for language, prompt in prompts.items():
                    yield node_id, name, language, prompt

    def problem(
        self,
        check: str,
        severity: Severity,
        node: str | None,
        message: Text,
        settings: str | None = None,
    ) -> Problem:
        return Problem(check, severity, self.subject.ref, node, message, settings)


def _prompt_maps(node: AnyNode) -> list[tuple[str, dict[str, Prompt]]]:
    maps = [("prompt", node.prompt)]
    if isinstance(node, MenuNode):
        maps.append(("invalid", node.invalid))
    if isinstance(node, VoicemailNode):
        maps.append(("thanks", node.thanks))
    return maps
