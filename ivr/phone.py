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


# What Twilio puts in ``From`` when the caller's number is withheld or unknown: numbers
# that spell the reason on a phone keypad (A=2, N=6, O=6 …), which pass as E.164 but
# belong to no one, and the same reasons as words. Every such call is a different,
# unknown person: none may be joined to another by its number.
WITHHELD_NUMBERS = {
    "+266696687": "ANONYMOUS",  # the caller withheld their number
    "+86282452253": "UNAVAILABLE",  # the carrier did not pass a number on
    "+7378742833": "RESTRICTED",  # the caller's line restricts presentation
    "+2562533": "BLOCKED",  # the caller blocked their caller ID
    "+8656696": "UNKNOWN",  # the carrier did not know the number
}
WITHHELD_WORDS = frozenset(
    {"anonymous", "unavailable", "restricted", "blocked", "unknown", "private", "withheld"}
)


def is_withheld(number: str | None) -> bool:
    """Whether ``From`` says that the caller's number is withheld or unknown (or is empty).

    The placeholder numbers count with or without their ``+``.
    """
    text = (number or "").strip().lower()
    if not text or text in WITHHELD_WORDS:
        return True
    digits = text.removeprefix("+")
    return digits.isascii() and digits.isdigit() and f"+{digits}" in WITHHELD_NUMBERS


def identifies_caller(number: str | None) -> bool:
    """Whether ``number`` names one resident: E.164, and not a withheld placeholder."""
    return number is not None and is_e164(number) and not is_withheld(number)
