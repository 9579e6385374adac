"""Which Vosk model serves which language, and whether a model folder looks usable.

Checking a layout never loads the model: the web process reports on models without
holding one (a Kaldi assertion can abort the process that loaded it).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# A language with no model of its own may borrow another's; the transcript is flagged.
LANGUAGE_FALLBACKS = {"yue": "zh"}


class ModelUnavailable(Exception):
    """No usable model is configured for a language."""

    def __init__(self, language: str, reason: str) -> None:
        super().__init__(f"no Vosk model for language {language!r}: {reason}")
        self.language = language
        self.reason = reason


def layout_problems(path: Path) -> list[str]:
    """What is missing from a Vosk model folder; empty when it looks complete."""
    if not path.is_dir():
        return [f"{path} is not a folder"]
    problems = []
    for required in ("am/final.mdl", "conf/model.conf"):
        if not (path / required).is_file():
            problems.append(f"missing {required}")
    graph = path / "graph"
    has_static = (graph / "HCLG.fst").is_file()
    has_lookahead = (graph / "HCLr.fst").is_file() and (graph / "Gr.fst").is_file()
    if not (has_static or has_lookahead):
        problems.append("missing graph/HCLG.fst (or graph/HCLr.fst with graph/Gr.fst)")
    return problems


@dataclass(frozen=True)
class ResolvedModel:
    language: str  # the language asked for
    model_language: str  # the language whose model serves it
    path: Path

    @property
    def is_fallback(self) -> bool:
        return self.language != self.model_language


class ModelRegistry:
    """Maps language codes (``zh``, ``yue``, ``en``, ``ko`` …) to model folders."""

    def __init__(self, paths: dict[str, Path]) -> None:
        self._paths = {lang.lower(): Path(p) for lang, p in paths.items()}

    @property
    def languages(self) -> list[str]:
        return sorted(self._paths)

    def resolve(self, language: str) -> ResolvedModel:
        """The model for ``language``, falling back (e.g. Cantonese to Mandarin)."""
        language = language.lower()
        for candidate in (language, LANGUAGE_FALLBACKS.get(language)):
            if candidate and candidate in self._paths:
                path = self._paths[candidate]
                problems = layout_problems(path)
                if problems:
                    raise ModelUnavailable(language, "; ".join(problems))
                return ResolvedModel(language, candidate, path)
        raise ModelUnavailable(language, "none configured")

    def status(self) -> dict[str, dict[str, object]]:
        """Per configured language: the path and whether its layout is complete."""
        report: dict[str, dict[str, object]] = {}
        for lang, path in sorted(self._paths.items()):
            problems = layout_problems(path)
            report[lang] = {"path": str(path), "ok": not problems, "problems": problems}
        return report
