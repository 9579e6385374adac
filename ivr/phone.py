"""Phone numbers in E.164, the form Twilio sends and every table stores."""

from __future__ import annotations

import re

E164 = re.compile(r"^\+[1-9]\d{6,14}$")


def is_e164(number: str) -> bool:
    return bool(E164.fullmatch(number))


def mask(number: str) -> str:
    """``+8613812345678`` → ``+86138****5678``: enough to recognise, not to dial."""
    if len(number) <= 8:
        return "*" * (len(number) - 2) + number[-2:]
    keep_head = min(6, len(number) - 8)
    return number[:keep_head] + "*" * (len(number) - keep_head - 4) + number[-4:]
