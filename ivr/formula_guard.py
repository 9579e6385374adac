"""Text in a CSV or XLSX export never becomes a spreadsheet formula.

A station name, a caller's name or a note set to ``=HYPERLINK(...)`` would otherwise be
evaluated by whoever opens the export (CSV injection). As OWASP recommends, a text cell
that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a
single quote in front, which spreadsheets show as text and never evaluate.

Phone numbers are the one deliberate exception: a cell that is an E.164 number, or a
``;``-separated list of them (``+862083000034;+862083000035``), holds only ``+``, digits
and ``;`` and cannot name a function or a cell, so it stays as it is and keeps the form
every table stores. ``unguard`` undoes ``guard`` exactly, so ``ivr stations import``
reads back what ``ivr stations export`` wrote.
"""

from __future__ import annotations

import re

TRIGGERS = frozenset("=+-@\t\r")
GUARD = "'"
_E164_LIST = re.compile(r"\+[1-9]\d{1,14}(;\+[1-9]\d{1,14})*")


def _needs_guard(text: str) -> bool:
    if not text:
        return False
    if text[0] in TRIGGERS:
        return not _E164_LIST.fullmatch(text)
    # A value that already begins with the guard and a trigger (or a second guard) gets one
    # more, so that unguard() takes off exactly the one added here.
    return text[0] == GUARD and len(text) > 1 and (text[1] in TRIGGERS or text[1] == GUARD)


def guard(value: object) -> object:
    """``value`` as an export should write it: text that a spreadsheet would run as a
    formula gets a leading ``'``; numbers, None and harmless text are returned as they are."""
    if isinstance(value, str) and _needs_guard(value):
        return GUARD + value
    return value


def guard_text(value: str) -> str:
    return GUARD + value if _needs_guard(value) else value


def unguard(value: str) -> str:
    """A cell read back from an export: the guard quote ``guard`` added, taken off."""
    if len(value) > 1 and value[0] == GUARD and (value[1] in TRIGGERS or value[1] == GUARD):
        return value[1:]
    return value
