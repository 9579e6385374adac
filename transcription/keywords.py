"""Whether a keyword occurs in a transcript as words, never as a fragment of a longer word.

Keywords are matched by script:

- Latin (ASCII) keywords match whole words, ignoring case: "oil" is not in "toilet".
- Chinese keywords (Han, and kana) match one whole word or a run of consecutive whole
  words. Vosk's Chinese models put a space between the words they recognise ("我 家里 没有
  米 了"), so "米" matches there but not the 面 of "见面", the 油 of "加油" or the 奶 of
  "奶奶"; "生活物资" matches both "生活 物资" and "生活物资". A run of words never spans
  punctuation.
- Korean (Hangul) keywords match anywhere, as they always have: Korean writes particles
  onto the word (쌀이, 쌀을), so a whole-word rule would miss the commonest forms.

Text with no space between two Chinese characters was not segmented by a recogniser (a
transcript typed or corrected by a person), and words cannot be told apart without a
dictionary. There a keyword of two or more characters matches anywhere in the text, being
specific enough to mean what it says; a single character matches only when it stands alone
between punctuation, spaces, Latin text or the ends of the text ("米、油都没有了"). A lone
character is too often part of a longer word that means something else to be trusted inside
one, and the default rules list the compounds that carry a need (鸡蛋, 面条, 牛奶 …), which
do match. People who type a transcript can also set the ticket's tags by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Scripts written without spaces between words, less their punctuation (which separates
# words like a space does): CJK ideographs (basic, extension A, compatibility, and the
# supplementary planes where rarer Cantonese characters such as 𨋢 live), and kana.
_HAN = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A word: a run of Han, or a run of other letters and digits (Latin, Hangul …).
_WORD = re.compile(rf"[{_HAN}]+|[^\W{_HAN}]+")
_SPACED_HAN = re.compile(rf"[{_HAN}]\s+[{_HAN}]")
_HANGUL = re.compile("[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
# Stands for punctuation in ``Prepared.chain``: no keyword contains it, so no match can
# run across it.
_STOP = "\n"


def _normalise(text: str) -> str:
    # Typed text may have a typographic apostrophe where recognisers write "can't".
    return " ".join(text.lower().replace("\u2019", "'").split())


@dataclass(frozen=True)
class Prepared:
    """A transcript made ready to look up many keywords in."""

    spaced: str  # lower case, single spaces: where Latin keywords are looked for
    joined: str  # with no spaces at all: where Korean keywords are looked for
    chain: str  # the words end to end, with _STOP where there was punctuation
    edges: frozenset[int]  # offsets in ``chain`` where a word starts or ends
    segmented: bool  # a recogniser put spaces between the Chinese words

    @classmethod
    def of(cls, text: str) -> Prepared:
        spaced = _normalise(text)
        parts: list[str] = []
        edges = {0}
        offset = end = 0
        for word in _WORD.finditer(spaced):
            if parts and spaced[end : word.start()].strip():
                parts.append(_STOP)  # punctuation, not only spaces, since the last word
                offset += len(_STOP)
            edges.add(offset)
            parts.append(word.group())
            offset += len(word.group())
            edges.add(offset)
            end = word.end()
        return cls(
            spaced=spaced,
            joined=spaced.replace(" ", ""),
            chain="".join(parts),
            edges=frozenset(edges),
            segmented=_SPACED_HAN.search(spaced) is not None,
        )


def matches(keyword: str, text: Prepared) -> bool:
    """Whether ``keyword`` occurs in ``text`` as the module's docstring describes."""
    keyword = _normalise(keyword)
    if not keyword:
        return False
    if keyword.isascii():
        return re.search(rf"(?<![a-z']){re.escape(keyword)}(?![a-z'])", text.spaced) is not None
    if _HANGUL.search(keyword):
        return keyword.replace(" ", "") in text.joined
    return _in_words("".join(_WORD.findall(keyword)), text)


def _in_words(key: str, text: Prepared) -> bool:
    if not key:
        return False
    whole_words_only = text.segmented or len(key) == 1
    start = text.chain.find(key)
    while start != -1:
        if not whole_words_only or {start, start + len(key)} <= text.edges:
            return True
        start = text.chain.find(key, start + 1)
    return False
