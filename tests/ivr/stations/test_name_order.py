"""Station and district names in pinyin order, not code point order."""

from __future__ import annotations

import random

from ivr.stations.name_order import by_pinyin, pinyin_key

DISTRICTS = ["白云区", "海珠区", "黄埔区", "荔湾区", "越秀区"]  # bai, hai, huang, li, yue


def test_districts_sort_by_pinyin_not_by_code_point():
    shuffled = DISTRICTS[::-1]
    assert sorted(shuffled) != DISTRICTS  # code points: 海 U+6D77 < 白 U+767D < 荔 < 越 < 黄
    assert by_pinyin(shuffled, str) == DISTRICTS
    assert by_pinyin(shuffled, str, reverse=True) == DISTRICTS[::-1]


def test_guangzhous_eleven_districts():
    names = [
        "越秀区",
        "海珠区",
        "荔湾区",
        "天河区",
        "白云区",
        "黄埔区",
        "番禺区",
        "花都区",
        "南沙区",
        "从化区",
        "增城区",
    ]
    random.Random(1).shuffle(names)
    assert by_pinyin(names, str) == (
        [
            "白云区",
            "从化区",
            "海珠区",
            "花都区",
            "黄埔区",
            "荔湾区",
            "南沙区",
            "番禺区",
            "天河区",
            "越秀区",
            "增城区",
        ]
    )  # 番禺 is Panyu: the reading of the phrase, not of 番 alone (fan)


def test_syllable_then_tone_then_the_next_character():
    # lu2 卢 < lu4 路 < lv4 绿 (ü after u); 南沙 (nan sha) < 南洲 (nan zhou)
    assert by_pinyin(["绿", "路", "南洲", "卢", "南沙"], str) == ["卢", "路", "绿", "南沙", "南洲"]
    # A syllable that is a prefix of another comes first: 西 xi < 先 xian.
    assert by_pinyin(["先锋街", "西华街"], str) == ["西华街", "先锋街"]


def test_latin_names_sort_among_the_syllables_case_insensitively():
    names = ["凤阳街", "nanzhou", "Baiyun", "海珠区", "Zhujiang"]
    assert by_pinyin(names, str) == ["Baiyun", "凤阳街", "海珠区", "nanzhou", "Zhujiang"]


def test_numbers_sort_by_value_and_punctuation_does_not_count():
    assert by_pinyin(["第10站", "第2站", "第1站"], str) == ["第1站", "第2站", "第10站"]
    assert by_pinyin(["石井（二）", "石井 (一)"], str) == ["石井（二）", "石井 (一)"]  # er < yi


def test_equal_readings_fall_back_to_the_name_so_the_order_is_total():
    # 公园 and 公元 read the same (gong1 yuan2): the name decides, every time.
    first = by_pinyin(["公园", "公元"], str)
    assert first == by_pinyin(["公元", "公园"], str) == sorted(["公园", "公元"])
    assert pinyin_key("公园") != pinyin_key("公元")
    assert by_pinyin(["", "白云区"], str) == ["", "白云区"]
