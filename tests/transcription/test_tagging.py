import pytest

from transcription.tagging import KeywordRule, is_urgent, tags_for
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
    ],
)
def test_default_keywords(text, tags):
    assert tags_for(text) == tags


def test_station_rules_add_to_the_defaults():
    rules = [KeywordRule("water", "水", "zh")]
    assert tags_for("停 水 了", rules) == {"water"}


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
