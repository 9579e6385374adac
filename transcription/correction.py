"""A person's correction of a transcript: its word times, and the machine's error rate.

Both compare tokens: each Chinese character (Han, and kana) is a token, and so is each
run of other letters and digits (a Latin or Korean word); punctuation and spaces are not
tokens. Chinese is compared character by character because a correction has no word
boundaries (a person types 我想买米, the recogniser said 我 想 买 米), so for Chinese the
error rate is the character error rate (CER); for languages written with spaces it is the
word error rate (WER). Tokens are compared case-folded.

``aligned_words`` keeps the recogniser's times for every token the correction left alone,
so a player can still light and seek them: a recognised word kept whole keeps its own
entry; the tokens of a changed stretch share, evenly, the time of the recognised tokens they
replace, or the gap between their neighbours when they were only inserted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from transcription.edits import align, edit_distance

_HAN = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
# A token: one Han character, or a run of other letters and digits (an apostrophe inside
# keeps "can't" one word).
_TOKEN = re.compile(rf"[{_HAN}]|[^\W{_HAN}]+(?:['\u2019][^\W{_HAN}]+)*")
_HAN_CHAR = re.compile(f"[{_HAN}]")
CHARACTER_LANGUAGES = frozenset({"zh", "yue", "ja"})


def tokens(text: str) -> list[str]:
    """``"我想买 rice, 谢谢"`` → ``["我", "想", "买", "rice", "谢", "谢"]``."""
    return _TOKEN.findall(text or "")


def is_character_token(token: str) -> bool:
    """Whether ``token`` is one Chinese character (or kana), compared on its own."""
    return len(token) == 1 and bool(_HAN_CHAR.match(token))


def _key(token: str) -> str:
    return token.casefold().replace("\u2019", "'")


def metric(language: str | None) -> str:
    """``"cer"`` for languages compared by character (Chinese), else ``"wer"``."""
    return "cer" if (language or "").split("-")[0] in CHARACTER_LANGUAGES else "wer"


@dataclass(frozen=True)
class Errors:
    """How far the machine's text is from the correction, in the correction's tokens."""

    edits: int  # substitutions + insertions + deletions
    length: int  # tokens in the correction (the reference)

    @property
    def rate(self) -> float | None:
        return self.edits / self.length if self.length else None


def machine_errors(machine_text: str, corrected_text: str) -> Errors:
    """The machine's errors against the correction (the reference)."""
    reference = [_key(t) for t in tokens(corrected_text)]
    hypothesis = [_key(t) for t in tokens(machine_text)]
    return Errors(edit_distance(hypothesis, reference), len(reference))


@dataclass(frozen=True)
class _Slot:
    """One token of the recognised words, with its share of its word's time."""

    key: str
    word: int  # index in the recognised words
    start: float
    end: float
    conf: float | None


def _slots(words: Sequence[dict[str, Any]]) -> list[_Slot]:
    slots = []
    for index, word in enumerate(words):
        parts = tokens(str(word.get("word", "")))
        start, end = float(word.get("start") or 0.0), float(word.get("end") or 0.0)
        end = max(end, start)
        step = (end - start) / len(parts) if parts else 0.0
        conf = word.get("conf")
        for k, part in enumerate(parts):
            slots.append(_Slot(_key(part), index, start + step * k, start + step * (k + 1), conf))
    return slots


@dataclass
class _Piece:
    """One token of the correction as shown: the token, and punctuation typed around it."""

    text: str
    key: str
    breaks_after: bool  # punctuation or a space follows: a word shown whole ends here


def _pieces(text: str) -> list[_Piece]:
    pieces: list[_Piece] = []
    lead = ""
    end = 0
    for match in _TOKEN.finditer(text):
        between = text[end : match.start()]
        visible = "".join(between.split())
        if pieces:
            pieces[-1].text += visible
            pieces[-1].breaks_after = bool(between)
        else:
            lead = visible
        pieces.append(_Piece(lead + match.group(), _key(match.group()), False))
        lead = ""
        end = match.end()
    if pieces:
        pieces[-1].text += "".join(text[end:].split())
    return pieces


def aligned_words(
    words: Sequence[dict[str, Any]], corrected_text: str, audio_seconds: float | None = None
) -> list[dict[str, Any]]:
    """The correction as words with times: ``{"word", "start", "end", "conf", "changed"}``.

    Unchanged tokens keep the recogniser's times and confidence; changed ones are marked
    ``changed`` and have a confidence of 1 (a person wrote them). Tokens typed after the
    last recognised one share the time up to ``audio_seconds``, when given.
    """
    slots = _slots(words)
    pieces = _pieces(corrected_text)
    pairs = align([s.key for s in slots], [p.key for p in pieces])
    source: list[int | None] = [None] * len(pieces)  # slot index of each unchanged piece
    for i, j in pairs:
        if i is not None and j is not None and slots[i].key == pieces[j].key:
            source[j] = i
    times = _changed_times(slots, pairs, source, len(pieces), audio_seconds)
    out: list[dict[str, Any]] = []
    for j, piece in enumerate(pieces):
        i = source[j]
        if i is None:
            start, end = times[j]
            out.append(_word(piece.text, start, end, 1.0, changed=True))
            continue
        slot = slots[i]
        last = out[-1] if out else None
        if (
            last is not None
            and not last["changed"]
            and last["_word"] == slot.word
            and last["_next"] == i
            and not last["_break"]
        ):
            last["word"] += piece.text
            last["end"] = round(slot.end, 3)
            last["_next"] = i + 1
            last["_break"] = piece.breaks_after
            continue
        entry = _word(piece.text, slot.start, slot.end, slot.conf, changed=False)
        entry.update(_word=slot.word, _next=i + 1, _break=piece.breaks_after)
        out.append(entry)
    return [{k: v for k, v in w.items() if not k.startswith("_")} for w in out]


def _word(text: str, start: float, end: float, conf: float | None, changed: bool) -> dict:
    return {
        "word": text,
        "start": round(start, 3),
        "end": round(end, 3),
        "conf": 1.0 if conf is None else conf,
        "changed": changed,
        "_word": None,
        "_next": None,
        "_break": True,
    }


def _changed_times(
    slots: list[_Slot],
    pairs: list[tuple[int | None, int | None]],
    source: list[int | None],
    count: int,
    until: float | None,
) -> dict[int, tuple[float, float]]:
    """Times for the pieces with no unchanged source: each run of them shares the span of
    the recognised tokens it replaced, or the gap between its neighbours."""
    times: dict[int, tuple[float, float]] = {}
    run: list[int] = []  # pieces in the current changed run
    replaced: list[int] = []  # slots they stand in place of
    last_end = 0.0

    def close(next_start: float) -> None:
        if run:
            if replaced:
                start, end = slots[replaced[0]].start, slots[replaced[-1]].end
            else:
                start, end = last_end, max(next_start, last_end)
            step = (end - start) / len(run)
            for k, j in enumerate(run):
                times[j] = (start + step * k, start + step * (k + 1))
        run.clear()
        replaced.clear()  # deleted with nothing typed in their place: simply gone

    for i, j in pairs:
        if j is not None and source[j] is not None:
            close(slots[source[j]].start)
            last_end = slots[source[j]].end
            continue
        if i is not None:
            replaced.append(i)
        if j is not None:
            run.append(j)
    close(max(until or 0.0, slots[-1].end if slots else 0.0))
    for j in range(count):
        times.setdefault(j, (last_end, last_end))
    return times
