import pytest

from transcription.tagging import DEFAULT_RULES, URGENT, KeywordRule, is_urgent, tags_for
from transcription.text import join_cjk


@pytest.mark.parametrize(
    ("text", "tags"),
    [
        ("我 家里 没有 米 了", {"food"}),
        ("想 买 降压药", {"medicine"}),
        ("我 妈妈 发烧 要 去 医院", {"medical"}),
        ("一个人 在家 很 害怕 失眠", {"emotional"}),
        ("什么 时候 解封 健康码 是 黄码", {"policy"}),
        ("老人 昏迷 了 呼吸 困难", {"urgent"}),
        ("我 不想活 了", {"urgent"}),
        ("我 屋企 冇 糧 食", {"food"}),
        ("I need rice and my insulin", {"food", "medicine"}),
        ("my father has chest pain", {"urgent"}),
        ("the toilet is broken", set()),
        ("", set()),
        # A keyword matches whole recognised words or runs of them, never part of a word.
        ("我们 见面 再 说", set()),
        ("这 方面 的 事 我 不敢 面对", set()),
        ("大家 加油", set()),
        ("你 这个 笨蛋", set()),
        ("我 奶奶 一个人 住", set()),
        ("家里 没有 米 和 面 了", {"food"}),
        ("需要 生活 物资", {"food"}),
        ("需要 生活物资", {"food"}),
        ("想 买 鸡蛋 和 牛奶", {"food"}),
        ("去 药店 拿药", {"medicine"}),
        # Urgency needs an urgency phrase, not words any caller says.
        ("please help me get some rice", {"food"}),
        ("my gums are bleeding", set()),
        ("牙龈 出血", set()),
        ("他 呼吸 困难", {"urgent"}),
        ("他 呼吸困难", {"urgent"}),
        ("快 叫 救护车", {"urgent"}),
        ("she is bleeding heavily and can’t breathe", {"urgent"}),
        # No space between Chinese characters: typed or corrected by a person. Keywords
        # of two or more characters match anywhere, single characters only standing alone.
        ("我们见面再说", set()),
        ("大家加油", set()),
        ("家里没有鸡蛋和牛奶了", {"food"}),
        ("米、油都没有了", {"food"}),
        ("老人呼吸困难", {"urgent"}),
        ("米", {"food"}),
        ("我要insulin和降压药", {"medicine"}),
    ],
)
def test_default_keywords(text, tags):
    assert tags_for(text) == tags


def test_an_ordinary_plea_for_help_is_not_urgent():
    assert not is_urgent(tags_for("hello can you help me I need rice"))
    assert not is_urgent(tags_for("请 帮帮 我 家里 没有 米 了"))
    assert is_urgent(tags_for("救命 我 妈妈 昏迷 了"))


def test_no_default_urgency_rule_is_a_single_character_or_a_single_common_word():
    urgent = [r.keyword for r in DEFAULT_RULES if r.tag == URGENT]
    assert all(len(k) > 1 for k in urgent)
    assert not {"help", "help me", "bleeding", "出血", "急", "痛"} & set(urgent)


def test_station_rules_add_to_the_defaults():
    rules = [KeywordRule("water", "水", "zh")]
    assert tags_for("停 水 了", rules) == {"water"}


@pytest.mark.parametrize(
    ("keyword", "text", "matched"),
    [
        ("水", "买 水果", False),  # station rules go through the same whole-word matcher
        ("水", "停水了", False),
        ("水", "停水，没水", False),
        ("水", "停水 没 水", True),
        ("水", "停水, 水!", True),
        ("停水", "停 水 了", True),
        ("停 水", "今天停水了", True),
        ("停水", "停，水", False),  # a run of words does not cross punctuation
        ("Stair Lift", "需要 stair lift", True),
        ("쌀", "쌀이 없어요", True),  # Korean: particles are written onto the word
    ],
)
def test_station_rules_match_words(keyword, text, matched):
    assert (tags_for(text, [KeywordRule("custom", keyword)]) == {"custom"}) is matched


def test_urgency():
    assert is_urgent({"food", "urgent"}) and not is_urgent({"food"})


@pytest.mark.parametrize(
    ("raw", "readable"),
    [
        ("我 想 买 米", "我想买米"),
        ("需要 insulin 谢谢", "需要 insulin 谢谢"),
        ("안녕 하세요", "안녕 하세요"),
        ("  多余   空格 ", "多余空格"),
    ],
)
def test_spaces_between_cjk_words_are_removed_for_reading(raw, readable):
    assert join_cjk(raw) == readable
