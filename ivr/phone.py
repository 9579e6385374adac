"""Phone numbers in E.164, the form Twilio sends and every table stores."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
# What people put between digits: spaces, dashes of every width, dots, brackets, slashes.
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212.()/]")
# Mainland China without the +86: a mobile (11 digits, 1 then 3-9), or a fixed line
# after its area code: 10 and 2x are two digits (Beijing, Guangzhou 20 …), the rest three;
# then a 7- or 8-digit subscriber number. Service numbers (400 …) read as the latter.
_CN_MOBILE = re.compile(r"1[3-9]\d{9}")
_CN_FIXED = re.compile(r"(?:10|2\d)\d{7,8}|[3-9]\d{2}\d{7,8}")


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


class PhoneInvalid(ValueError):
    """What was typed is not a number we could dial; the message says how to write one."""


def normalise(typed: str) -> str:
    """A phone number as people type it, in E.164; :class:`PhoneInvalid` if it is none.

    Local mainland numbers get +86: ``13812345678`` and ``138 1234 5678`` become
    ``+8613812345678``; a fixed line with its area code, ``020-12345678``, loses the
    trunk 0: ``+862012345678``. ``0086…``, ``8613812345678`` and ``+86 (0)20 …`` are
    understood, full-width digits too; a number already in E.164 is kept as it is.
    """
    text = unicodedata.normalize("NFKC", typed).strip()
    shown = text[:30]
    compact = _SEPARATORS.sub("", text)
    if not compact:
        raise PhoneInvalid(_l("请填写电话号码"))
    if compact.startswith("00"):
        compact = "+" + compact[2:]
    if compact.startswith("+86"):
        return _mainland(compact[3:].removeprefix("0"), shown)  # "+86 (0)20": 0 not dialled
    if compact.startswith("+"):
        if is_e164(compact) and not is_withheld(compact):
            return compact
        raise PhoneInvalid(_unknown(shown))
    if not (compact.isascii() and compact.isdigit()):
        raise PhoneInvalid(_unknown(shown))
    if compact.startswith("0"):
        return _mainland(compact[1:], shown)
    if len(compact) == 13 and compact.startswith("861"):
        compact = compact[2:]  # a mobile with its country code but no plus
    if _CN_MOBILE.fullmatch(compact):
        return f"+86{compact}"
    if 7 <= len(compact) <= 8:
        raise PhoneInvalid(
            _l("“%(number)s”缺少区号：固定电话请连区号一起填写，如 020-12345678", number=shown)
        )
    raise PhoneInvalid(_mobile_or_unknown(compact, shown))


def _mainland(national: str, shown: str) -> str:
    """A mainland number after its +86 (or trunk 0): a mobile, or area code + number."""
    if _CN_MOBILE.fullmatch(national) or _CN_FIXED.fullmatch(national):
        return f"+86{national}"
    raise PhoneInvalid(_mobile_or_unknown(national, shown))


def _mobile_or_unknown(national: str, shown: str) -> str:
    if national.isdigit() and national.startswith("1") and not national.startswith("10"):
        return _l(
            "“%(number)s”不是有效的手机号：中国大陆的手机号是以 1 开头的 11 位数字，如 13812345678",
            number=shown,
        )
    return _l(
        "“%(number)s”不是有效的电话号码：请填写手机号（如 13812345678）、带区号的固定电话"
        "（如 020-12345678）或以 + 开头的国际号码（如 +85291234567）",
        number=shown,
    )


def _unknown(shown: str) -> str:
    return _mobile_or_unknown("", shown)
