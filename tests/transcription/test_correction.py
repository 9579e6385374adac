"""Edit distance, the machine's error rate against a correction (CER for Chinese), and a
correction's words aligned to the recording."""

from __future__ import annotations

import random

from transcription.correction import aligned_words, machine_errors, metric, tokens
from transcription.edits import align, edit_distance

WORDS = [
    {"word": "我", "start": 0.1, "end": 0.3, "conf": 0.95},
    {"word": "家里", "start": 0.3, "end": 0.7, "conf": 0.8},
    {"word": "没有", "start": 0.7, "end": 1.0, "conf": 0.9},
    {"word": "米", "start": 1.0, "end": 1.2, "conf": 0.5},
    {"word": "和", "start": 1.2, "end": 1.3, "conf": 0.9},
    {"word": "有", "start": 1.3, "end": 1.5, "conf": 0.4},
    {"word": "了", "start": 1.5, "end": 1.6, "conf": 0.9},
]


def _slow_distance(a, b) -> int:  # type: ignore[no-untyped-def]
    if not a or not b:
        return len(a) + len(b)
    return min(
        _slow_distance(a[1:], b[1:]) + (a[0] != b[0]),
        _slow_distance(a[1:], b) + 1,
        _slow_distance(a, b[1:]) + 1,
    )


def test_edit_distance_and_alignment_agree_with_the_definition():
    assert edit_distance(list("kitten"), list("sitting")) == 3
    assert edit_distance([], list("abc")) == 3 and edit_distance(list("ab"), list("ab")) == 0
    rng = random.Random(4)
    for _ in range(200):
        a = [rng.choice("abc") for _ in range(rng.randint(0, 6))]
        b = [rng.choice("abc") for _ in range(rng.randint(0, 6))]
        assert edit_distance(a, b) == _slow_distance(a, b)
        pairs = align(a, b)
        assert [i for i, _ in pairs if i is not None] == list(range(len(a)))
        assert [j for _, j in pairs if j is not None] == list(range(len(b)))
        cost = sum(1 for i, j in pairs if i is None or j is None or a[i] != b[j])
        assert cost == edit_distance(a, b)


def test_chinese_is_compared_by_character_other_languages_by_word():
    assert tokens("我想买 Rice, can't 谢谢！") == ["我", "想", "买", "Rice", "can't", "谢", "谢"]
    # 我 想 买 米 → 我想买米和油: two insertions over six characters (CER).
    errors = machine_errors("我 想 买 米", "我想买米和油。")
    assert (errors.edits, errors.length) == (2, 6)
    assert round(errors.rate, 3) == 0.333
    # Words, case-folded, punctuation ignored (WER): "rise" → "rice" is one of four.
    assert machine_errors("i need some rise", "I need some rice.").edits == 1
    assert metric("zh") == metric("yue") == "cer" and metric("en") == metric("ko") == "wer"
    assert machine_errors("x", "").rate is None


def test_unchanged_words_keep_their_times_and_changed_ones_are_placed_between():
    words = aligned_words(WORDS, "我家里没有米和油了，能帮忙吗？", audio_seconds=2.4)
    assert [w["word"] for w in words] == [
        "我", "家里", "没有", "米", "和", "油", "了，", "能", "帮", "忙", "吗？",
    ]  # fmt: skip
    # Whole recognised words keep their entries (times and confidence).
    assert words[1] == {"word": "家里", "start": 0.3, "end": 0.7, "conf": 0.8, "changed": False}
    # 有 → 油: a substitution takes the time of what it replaced.
    assert words[5] == {"word": "油", "start": 1.3, "end": 1.5, "conf": 1.0, "changed": True}
    # Typed after the last recognised word: shares the time to the end of the audio.
    tail = words[7:]
    assert all(w["changed"] for w in tail)
    assert tail[0]["start"] == 1.6 and tail[-1]["end"] == 2.4
    assert [w["start"] for w in tail] == sorted(w["start"] for w in tail)


def test_a_word_cut_in_two_keeps_each_parts_share_and_insertions_sit_in_the_gap():
    words = aligned_words(WORDS[:3], "我家，里面没有")
    assert [(w["word"], w["changed"]) for w in words] == [
        ("我", False), ("家，", False), ("里", False), ("面", True), ("没有", False),
    ]  # fmt: skip
    assert (words[1]["start"], words[1]["end"]) == (0.3, 0.5)  # half of 家里's time
    assert (words[2]["start"], words[2]["end"]) == (0.5, 0.7)
    assert words[3]["start"] == words[3]["end"] == 0.7  # inserted where there is no gap
    nothing = aligned_words([], "你好")
    assert [w["start"] for w in nothing] == [0.0, 0.0] and all(w["changed"] for w in nothing)
