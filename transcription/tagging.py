"""Tags from what a caller said: need keywords, and urgency that raises priority.

Rules are plain data (``KeywordRule``) so stations can add their own; the defaults below
cover Chinese (simplified and the traditional forms Cantonese speakers' transcripts use)
and English.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from transcription.keywords import Prepared, matches

URGENT = "urgent"


@dataclass(frozen=True)
class KeywordRule:
    tag: str
    keyword: str
    language: str = "zh"


# Chinese single characters (米, 面, 药 …) match only as whole recognised words, so the
# common compounds that carry the same need are listed beside them (transcription.keywords).
_DEFAULTS: dict[str, dict[str, list[str]]] = {
    "food": {
        "zh": [
            "米",
            "大米",
            "米饭",
            "面",
            "面条",
            "面粉",
            "挂面",
            "方便面",
            "油",
            "食用油",
            "菜",
            "蔬菜",
            "青菜",
            "买菜",
            "粮",
            "粮食",
            "奶",
            "牛奶",
            "奶粉",
            "吃的",
            "食物",
            "肉",
            "猪肉",
            "蛋",
            "鸡蛋",
            "生活物资",
            "糧",
            "糧食",
            "麵",
            "麵條",
            "麵粉",
            "餸",
            "買餸",
            "雞蛋",
            "豬肉",
        ],
        "en": ["rice", "food", "flour", "oil", "vegetables", "milk", "groceries", "hungry"],
    },
    "medicine": {
        "zh": [
            "药",
            "买药",
            "拿药",
            "开药",
            "配药",
            "吃药",
            "药品",
            "药物",
            "药店",
            "药房",
            "处方",
            "降压药",
            "胰岛素",
            "藥",
            "買藥",
            "拿藥",
            "食藥",
            "藥物",
            "藥房",
            "處方",
        ],
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
        "zh": [
            "心理",
            "焦虑",
            "失眠",
            "害怕",
            "孤独",
            "抑郁",
            "情绪",
            "惊慌",
            "焦慮",
            "驚",
            "好驚",
            "驚慌",
            "孤獨",
        ],
        "en": ["anxious", "anxiety", "scared", "afraid", "lonely", "depressed", "can't sleep"],
    },
    "policy": {
        "zh": ["核酸", "隔离", "封控", "健康码", "政策", "解封", "隔離", "健康碼"],
        "en": ["quarantine", "lockdown", "covid test", "health code", "policy"],
    },
    # Urgency moves a ticket to the front of the queue with a one-hour deadline, so only
    # phrases that name a danger now: not words every caller says ("help me", said by
    # nearly everyone asking for rice), nor ones that are often minor (出血 and "bleeding"
    # of gums or a cut finger; heavy or unstoppable bleeding is urgent), nor the names of
    # conditions elderly callers live with (中风, "heart attack" last year).
    URGENT: {
        "zh": [
            "急救",
            "救护车",
            "昏迷",
            "不省人事",
            "晕倒",
            "呼吸困难",
            "喘不过气",
            "胸痛",
            "大出血",
            "流血不止",
            "自杀",
            "想死",
            "不想活",
            "救命",
            "救護車",
            "暈倒",
            "呼吸困難",
            "喘不過氣",
            "自殺",
        ],
        "en": [
            "ambulance",
            "unconscious",
            "passed out",
            "fainted",
            "can't breathe",
            "cannot breathe",
            "not breathing",
            "difficulty breathing",
            "trouble breathing",
            "chest pain",
            "heavy bleeding",
            "bleeding heavily",
            "won't stop bleeding",
            "suicide",
            "kill myself",
            "want to die",
        ],
    },
}

DEFAULT_RULES: tuple[KeywordRule, ...] = tuple(
    KeywordRule(tag, keyword, language)
    for tag, by_language in _DEFAULTS.items()
    for language, keywords in by_language.items()
    for keyword in keywords
)


def tags_for(text: str, rules: Iterable[KeywordRule] = DEFAULT_RULES) -> set[str]:
    """Every tag whose keyword occurs in ``text`` as words (any language's rules apply).

    ``text`` is the recogniser's raw output, spaces between Chinese words included; see
    ``transcription.keywords`` for what counts as an occurrence.
    """
    prepared = Prepared.of(text)
    return {rule.tag for rule in rules if rule.keyword and matches(rule.keyword, prepared)}


def is_urgent(tags: Iterable[str]) -> bool:
    return URGENT in set(tags)
