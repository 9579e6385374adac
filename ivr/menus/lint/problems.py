"""What the menu health check reports: problems, each with a severity, a station, a node
and a link to where it is fixed."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from ivr.menus.wording import Text


class Severity(enum.Enum):
    """How much a problem matters to callers, most first."""

    ERROR = "error"  # callers are let down now: nobody to answer, silence, a loop
    WARNING = "warning"  # callers may be misled, or will be when something changes
    INFO = "info"  # worth a look; callers are not harmed

    @property
    def rank(self) -> int:
        return SEVERITY_ORDER.index(self)

    def at_least(self, threshold: Severity) -> bool:
        return self.rank <= threshold.rank


SEVERITY_ORDER = (Severity.ERROR, Severity.WARNING, Severity.INFO)

# The settings tab that fixes a problem outside the menu document, by its page's path.
SETTINGS_PAGES = {"hours": "hours", "roster": "roster", "profile": "profile", "prompts": "prompts"}


def editor_link(station_id: int, node: str | None) -> str:
    """The menu editor (``admin.menu_editor``), scrolled to the node's card when named."""
    path = f"/admin/stations/{station_id}/menu"
    return f"{path}#node-{node}" if node else path


def settings_link(station_id: int, page: str) -> str:
    return f"/admin/stations/{station_id}/{SETTINGS_PAGES[page]}"


@dataclass(frozen=True)
class StationRef:
    id: int
    code: str
    name_zh: str
    district_code: str
    district_name: str


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a station's live menu or the settings it depends on.

    ``check`` names the check that found it (e.g. ``forward_unstaffed``); ``message`` is a
    catalogue text rendered in the reader's language; ``settings`` the settings page that
    fixes it, when the fix is not in the menu itself.
    """

    check: str
    severity: Severity
    station: StationRef
    node: str | None
    message: Text
    settings: str | None = None

    @property
    def link(self) -> str:
        return editor_link(self.station.id, self.node)

    @property
    def settings_link(self) -> str | None:
        return settings_link(self.station.id, self.settings) if self.settings else None

    def as_dict(self) -> dict[str, object]:
        return {
            "check": self.check,
            "severity": self.severity.value,
            "station": self.station.code,
            "station_name": self.station.name_zh,
            "district": self.station.district_code,
            "node": self.node,
            "message": str(self.message),
            "link": self.link,
            "settings_link": self.settings_link,
        }


def sort_key(problem: Problem) -> tuple[int, str, str, str, str]:
    return (
        problem.severity.rank,
        problem.station.district_code,
        problem.station.code,
        problem.node or "",
        problem.check,
    )
