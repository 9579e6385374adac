"""Names in the order a Chinese reader expects: by pinyin, as a dictionary lists them.

Sorting ``海珠区`` and ``白云区`` by code point puts 海 (U+6D77) before 白 (U+767D); a
reader looks for 白云 (bai) before 海珠 (hai). ``pinyin_key`` compares names syllable by
syllable (the tone breaks a tie between equal letters, as 现代汉语词典 does), Latin words
case-insensitively among the syllables (``Nanzhou`` sorts where 南洲 does), numbers by
value (``2号`` before ``10号``), and finally the name itself, so the order is total and
the same on every run. Readings come from ``pypinyin``, which reads a run of characters
as a phrase (重庆 is chong, 长寿 chang).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from functools import lru_cache
from typing import TypeVar

from pypinyin import Style, lazy_pinyin

T = TypeVar("T")

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
_WORD = re.compile(r"\d+|[^\W\d_]+")  # numbers and letters; spaces and punctuation drop out
_SYLLABLE = re.compile(r"([a-z]+)([1-5]?)")

# One element of a key: (0, number, "", 0) for a number, (1, 0, letters, tone) otherwise.
Element = tuple[int, int, str, int]


def _han_elements(run: str) -> list[Element]:
    elements: list[Element] = []
    for reading in lazy_pinyin(run, style=Style.TONE3, neutral_tone_with_five=True):
        found = _SYLLABLE.fullmatch(reading)
        if found:
            elements.append((1, 0, found.group(1), int(found.group(2) or 0)))
        else:  # a character pypinyin has no reading for: sort it by itself
            elements.append((1, 0, reading, 0))
    return elements


def _other_elements(text: str) -> list[Element]:
    return [
        (0, int(word), "", 0) if word.isdigit() else (1, 0, word.casefold(), 0)
        for word in _WORD.findall(text)
    ]


@lru_cache(maxsize=4096)
def pinyin_key(name: str) -> tuple[tuple[Element, ...], str]:
    """A sort key for ``name``: its pinyin syllables (with tones), Latin words and numbers,
    then the name itself as the last tie-breaker."""
    elements: list[Element] = []
    position = 0
    for run in _HAN.finditer(name):
        elements += _other_elements(name[position : run.start()])
        elements += _han_elements(run.group())
        position = run.end()
    elements += _other_elements(name[position:])
    return tuple(elements), name


def by_pinyin(items: Iterable[T], name: Callable[[T], str], reverse: bool = False) -> list[T]:
    """``items`` sorted by ``name(item)`` in pinyin order (``reverse`` for Z to A)."""
    return sorted(items, key=lambda item: pinyin_key(name(item)), reverse=reverse)
