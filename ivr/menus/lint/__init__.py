"""City-wide menu health: every station's live menu checked against its settings,
roster, prompt library and the stations it transfers to.

The publish-time validator (``ivr.menus.validate``) says whether a document may be
published; this says whether what callers hear *now* works: a forward nobody can answer,
hours that contradict the 24-hour switch, a language without prompts, a silent prompt, a
transfer chain back to its start, a notice left up for weeks, a station with nothing
published. The admin page ``/admin/menu-health`` and ``ivr menu lint`` share
:func:`lint_stations`.
"""

from __future__ import annotations

from ivr.menus.lint.notices import DEFAULT_NOTICE_DAYS
from ivr.menus.lint.problems import SEVERITY_ORDER, Problem, Severity
from ivr.menus.lint.run import LintReport, lint_stations

__all__ = [
    "DEFAULT_NOTICE_DAYS",
    "SEVERITY_ORDER",
    "LintReport",
    "Problem",
    "Severity",
    "lint_stations",
]
