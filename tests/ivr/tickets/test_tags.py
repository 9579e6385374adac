"""Tags as people type them: normal form, catalogue names, refusals."""

from __future__ import annotations

import pytest

from ivr.tickets.tags import (
    MAX_TAG_LENGTH,
    TagInvalid,
    normalise_tag,
    normalise_tags,
    split_tag_field,
)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  买  菜 ", "买 菜"),  # trimmed, spaces collapsed
        ("ＷＨＥＥＬ　Ｃｈａｉｒ", "wheel chair"),  # full-width letters and space (NFKC), folded
        ("Straße", "strasse"),  # case-folded, not only lower-cased
        ("药品", "medicine"),  # a catalogue name is its code
        ("Medicine", "medicine"),
        ("独居/孤寡/留守老人", "lone_elderly"),
        ("food", "food"),
        ("轮椅 2 台", "轮椅 2 台"),
        ("", ""),
        ("   ", ""),
    ],
)
def test_normal_form(typed, stored):
    assert normalise_tag(typed) == stored


@pytest.mark.parametrize("typed", ["<b>", "买菜!", "a,b", "长" * (MAX_TAG_LENGTH + 1), "tab\there"])
def test_refused(typed):
    if typed == "tab\there":  # a tab is white space: collapsed, not refused
        assert normalise_tag(typed) == "tab here"
        return
    with pytest.raises(TagInvalid):
        normalise_tag(typed)


def test_a_field_is_split_on_commas_and_list_marks_and_deduplicated():
    field = "买菜，药品、 medicine;买  菜 ,, ＦＯＯＤ"
    assert normalise_tags(split_tag_field(field)) == ["买菜", "medicine", "买 菜", "food"]
