"""Making recogniser output readable."""

from __future__ import annotations

import re

# Han, kana, hangul and CJK punctuation: scripts written without spaces between words.
_CJK = "\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef"
_BETWEEN_CJK = re.compile(rf"(?<=[{_CJK}])\s+(?=[{_CJK}])")


def join_cjk(text: str) -> str:
    """``"我 想 买 米"`` → ``"我想买米"``; spaces between Latin words are kept.

    Vosk's Chinese models put a space between every word; a reader wants none. Korean
    is written with spaces between words, so hangul keeps its spaces.
    """
    text = " ".join(text.split())
    return _BETWEEN_CJK.sub(lambda m: "" if not _is_hangul_pair(m) else " ", text)


def _is_hangul_pair(match: re.Match[str]) -> bool:
    before = match.string[match.start() - 1]
    after = match.string[match.end()]
    return _is_hangul(before) and _is_hangul(after)


def is_cjk(char: str) -> bool:
    """Whether ``char`` belongs to a script written without spaces between words."""
    return bool(re.fullmatch(f"[{_CJK}]", char)) and not _is_hangul(char)


def _is_hangul(char: str) -> bool:
    return "\uac00" <= char <= "\ud7af"
