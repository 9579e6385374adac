"""Tags from what a caller said: need keywords, and urgency that raises priority.

Rules are plain data (``KeywordRule``) so stations can add their own; the defaults below
cover Chinese (simplified and the traditional forms Cantonese speakers' transcripts use)
and English.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

URGENT = "urgent"


@dataclass(frozen=True)
class KeywordRule:
    tag: str
    keyword: str
    language: str = "zh"


_DEFAULTS: dict[str, dict[str, list[str]]] = {
    "food": {
        "zh": [
            "米",
            "面",
            "油",
            "菜",
            "粮",
            "奶",
            "吃的",
            "食物",
            "肉",
            "蛋",
            "生活物资",
            "糧",
            "麵",
            "餸",
            "食物",
        ],
        "en": ["rice", "food", "flour", "oil", "vegetables", "milk", "groceries", "hungry"],
    },
    "medicine": {
        "zh": ["药", "买药", "处方", "降压药", "胰岛素", "藥", "買藥", "處方"],
        "en": ["medicine", "medication", "prescription", "pills", "insulin", "pharmacy"],
    },
    "medical": {
        "zh": [
            "看病",
            "就医",
            "急诊",
            "发烧",
            "透析",
            "住院",
            "医院",
            "化疗",
            "睇病",
            "發燒",
            "醫院",
            "急診",
        ],
        "en": ["doctor", "hospital", "fever", "dialysis", "clinic", "sick", "emergency room"],
    },
    "emotional": {
        "zh": ["心理", "焦虑", "失眠", "害怕", "孤独", "抑郁", "情绪", "焦慮", "驚", "孤獨"],
        "en": ["anxious", "anxiety", "scared", "afraid", "lonely", "depressed", "can't sleep"],
    },
    "policy": {
        "zh": ["核酸", "隔离", "封控", "健康码", "政策", "解封", "隔離", "健康碼"],
        "en": ["quarantine", "lockdown", "covid test", "health code", "policy"],
    },
    URGENT: {
        "zh": [
            "急救",
            "昏迷",
            "呼吸困难",
            "胸痛",
            "自杀",
            "想死",
            "不想活",
            "晕倒",
            "出血",
            "救命",
            "呼吸困難",
            "自殺",
            "暈倒",
        ],
        "en": [
            "ambulance",
            "unconscious",
            "can't breathe",
            "chest pain",
            "suicide",
            "kill myself",
            "want to die",
            "bleeding",
            "help me",
        ],
    },
}

DEFAULT_RULES: tuple[KeywordRule, ...] = tuple(
    KeywordRule(tag, keyword, language)
    for tag, by_language in _DEFAULTS.items()
    for language, keywords in by_language.items()
    for keyword in keywords
)


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def _matches(keyword: str, text: str, spaced: str) -> bool:
    keyword = _normalise(keyword)
    if keyword.isascii():
        # Latin keywords match whole words: "oil" is not in "toilet".
        return re.search(rf"(?<![a-z']){re.escape(keyword)}(?![a-z'])", spaced) is not None
    # CJK keywords match anywhere; recognisers may put spaces between characters.
    return keyword.replace(" ", "") in text


def tags_for(text: str, rules: Iterable[KeywordRule] = DEFAULT_RULES) -> set[str]:
    """Every tag whose keyword occurs in ``text`` (any language's rules apply)."""
    spaced = _normalise(text)
    joined = spaced.replace(" ", "")
    return {rule.tag for rule in rules if rule.keyword and _matches(rule.keyword, joined, spaced)}


def is_urgent(tags: Iterable[str]) -> bool:
    return URGENT in set(tags)
