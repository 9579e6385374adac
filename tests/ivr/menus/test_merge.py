"""The three-way menu merge and notice placement: pure functions over plain documents."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.menus import parse_menu
from ivr.menus.default_menu import default_menu
from ivr.menus.merge import (
    NoticeInvalid,
    for_languages,
    place_notice,
    remove_notice,
    three_way,
)

LANGS = ["zh", "yue", "en"]


def base() -> dict[str, Any]:
    return default_menu(LANGS)


def valid(document: dict[str, Any]) -> None:
    parse_menu(yaml.safe_dump(document, allow_unicode=True), known_stations=set())


def test_nothing_changed_anywhere_merges_to_the_same_document():
    merged = three_way(base(), base(), base())
    assert merged.document == base()
    assert (merged.kept, merged.taken, merged.conflicts) == ([], [], [])


def test_the_templates_change_is_taken_where_the_station_changed_nothing():
    theirs = base()
    theirs["nodes"]["main"]["timeout"] = 8
    merged = three_way(base(), base(), theirs)
    assert merged.document == theirs
    assert merged.taken == ["nodes.main.timeout"] and merged.kept == []


def test_the_stations_own_value_survives_and_a_clash_is_a_conflict():
    ours, theirs = base(), base()
    ours["nodes"]["main"]["repeat"] = 3
    ours["nodes"]["vm_food"]["priority"] = "high"
    theirs["nodes"]["main"]["repeat"] = 1
    merged = three_way(base(), ours, theirs)
    assert merged.document["nodes"]["main"]["repeat"] == 3
    assert merged.document["nodes"]["vm_food"]["priority"] == "high"
    assert merged.kept == ["nodes.main.repeat", "nodes.vm_food.priority"]
    assert merged.conflicts == ["nodes.main.repeat"]


def test_prompts_merge_per_language():
    ours, theirs = base(), base()
    ours["nodes"]["main"]["prompt"]["yue"] = "我哋自己講嘅粵語菜單"
    theirs["nodes"]["main"]["prompt"]["zh"] = "模板的新普通话菜单"
    theirs["nodes"]["main"]["prompt"]["en"] = "The template's new English menu"
    merged = three_way(base(), ours, theirs)
    assert merged.document["nodes"]["main"]["prompt"] == {
        "zh": "模板的新普通话菜单",
        "yue": "我哋自己講嘅粵語菜單",
        "en": "The template's new English menu",
    }
    assert merged.kept == ["nodes.main.prompt.yue"] and merged.conflicts == []
    assert merged.taken == ["nodes.main.prompt.zh", "nodes.main.prompt.en"]
    valid(merged.document)


def test_the_same_change_on_both_sides_is_no_longer_an_override():
    ours, theirs = base(), base()
    for document in (ours, theirs):
        document["nodes"]["main"]["prompt"]["zh"] = "两边一样的新提示"
    merged = three_way(base(), ours, theirs)
    assert merged.document["nodes"]["main"]["prompt"]["zh"] == "两边一样的新提示"
    assert (merged.kept, merged.taken, merged.conflicts) == ([], [], [])


def test_a_node_the_station_added_is_kept_after_the_templates_nodes():
    ours, theirs = base(), base()
    ours["nodes"]["main"]["options"]["6"] = "vaccine"
    ours["nodes"] = {"vaccine": _message("疫苗接种点在街道办", "vm_general"), **ours["nodes"]}
    theirs["nodes"]["transport"] = _message("出行请留言", "vm_general")
    theirs["nodes"]["main"]["options"]["7"] = "transport"
    merged = three_way(base(), ours, theirs)
    nodes = list(merged.document["nodes"])
    assert nodes[-2:] == ["transport", "vaccine"]
    assert nodes[:-2] == list(base()["nodes"])
    assert merged.document["nodes"]["main"]["options"]["6"] == "vaccine"
    assert merged.document["nodes"]["main"]["options"]["7"] == "transport"
    assert merged.kept == ["nodes.main.options.6", "nodes.vaccine"]
    assert merged.taken == ["nodes.main.options.7", "nodes.transport"]
    valid(merged.document)


def test_a_node_the_template_removed_goes_unless_the_station_changed_it():
    theirs = base()
    del theirs["nodes"]["vm_policy"]
    del theirs["nodes"]["main"]["options"]["5"]
    merged = three_way(base(), base(), theirs)
    assert "vm_policy" not in merged.document["nodes"]
    assert "5" not in merged.document["nodes"]["main"]["options"]
    assert merged.taken == ["nodes.main.options.5", "nodes.vm_policy"]
    valid(merged.document)

    ours = base()
    ours["nodes"]["vm_policy"]["max_length"] = 300
    merged = three_way(base(), ours, theirs)
    assert merged.document["nodes"]["vm_policy"]["max_length"] == 300
    assert merged.kept == ["nodes.vm_policy"] and merged.conflicts == ["nodes.vm_policy"]


def test_a_node_the_station_removed_stays_removed():
    ours = base()
    del ours["nodes"]["vm_emotional"]
    del ours["nodes"]["main"]["options"]["4"]
    theirs = base()
    theirs["nodes"]["vm_food"]["max_length"] = 90
    merged = three_way(base(), ours, theirs)
    assert "vm_emotional" not in merged.document["nodes"]
    assert "4" not in merged.document["nodes"]["main"]["options"]
    assert merged.document["nodes"]["vm_food"]["max_length"] == 90
    assert merged.kept == ["nodes.main.options.4", "nodes.vm_emotional"]


def test_a_node_replaced_by_another_kind_is_merged_whole():
    ours = base()
    ours["nodes"]["worker_hours"] = {"kind": "hangup"}
    theirs = base()
    theirs["nodes"]["worker_hours"]["open"] = "vm_general"
    merged = three_way(base(), ours, theirs)
    assert merged.document["nodes"]["worker_hours"] == {"kind": "hangup"}
    assert merged.kept == ["nodes.worker_hours"] and merged.conflicts == ["nodes.worker_hours"]

    merged = three_way(base(), base(), ours)
    assert merged.document["nodes"]["worker_hours"] == {"kind": "hangup"}
    assert merged.taken == ["nodes.worker_hours"]


def test_a_removed_optional_field_stays_removed():
    ours = base()
    del ours["nodes"]["main"]["invalid"]
    merged = three_way(base(), ours, base())
    assert "invalid" not in merged.document["nodes"]["main"]
    assert merged.kept == ["nodes.main.invalid"]


def test_phone_keys_written_as_numbers_or_text_are_one_key():
    ours = base()
    options = ours["nodes"]["main"]["options"]
    ours["nodes"]["main"]["options"] = {int(k): v for k, v in options.items()}
    theirs = base()
    theirs["nodes"]["main"]["options"]["2"] = {"next": "vm_medicine", "need": "medicine-urgent"}
    merged = three_way(base(), ours, theirs)
    merged_options = merged.document["nodes"]["main"]["options"]
    assert sorted(merged_options) == ["0", "1", "2", "3", "4", "5"]
    assert merged_options["2"]["need"] == "medicine-urgent"
    valid(merged.document)


def test_start_languages_and_voices_merge_at_the_top():
    ours, theirs = base(), base()
    ours["start"] = "main"
    ours["voices"] = {"en": {"language": "en-GB", "voice": "Polly.Amy"}}
    theirs["voices"] = {"zh": {"language": "cmn-CN", "voice": "Polly.Zhiyu"}}
    merged = three_way(base(), ours, theirs)
    assert merged.document["start"] == "main"
    assert "start" in merged.kept
    # No voices in the base: each side added its own, the station's wins whole.
    assert merged.document["voices"] == ours["voices"]

    with_voices = base()
    with_voices["voices"] = {"zh": {"language": "cmn-CN", "voice": "A"}}
    ours = copy.deepcopy(with_voices)
    ours["voices"]["en"] = {"language": "en-GB", "voice": "Polly.Amy"}
    theirs = copy.deepcopy(with_voices)
    theirs["voices"]["zh"]["voice"] = "B"
    merged = three_way(with_voices, ours, theirs)
    assert merged.document["voices"] == {
        "zh": {"language": "cmn-CN", "voice": "B"},
        "en": {"language": "en-GB", "voice": "Polly.Amy"},
    }
    assert list(merged.document) == ["start", "languages", "voices", "settings", "nodes"]


def test_the_merge_leaves_its_inputs_alone():
    documents = [base(), base(), base()]
    documents[1]["nodes"]["main"]["prompt"]["zh"] = "本站"
    documents[2]["nodes"]["main"]["prompt"]["en"] = "Template"
    before = copy.deepcopy(documents)
    merged = three_way(*documents)
    merged.document["nodes"]["main"]["prompt"]["yue"] = "changed afterwards"
    assert documents == before


def test_for_languages_keeps_only_the_stations_languages():
    document = base()
    document["voices"] = {"en": {"language": "en-GB", "voice": "Polly.Amy"}}
    narrowed = for_languages(document, ["yue", "zh"])
    assert narrowed["languages"] == ["yue", "zh"]
    assert "voices" not in narrowed
    assert narrowed["nodes"]["main"]["prompt"].keys() == {"zh", "yue"}
    assert narrowed["nodes"]["choose_language"]["choices"] == {"1": "zh", "2": "yue"}
    assert narrowed["nodes"]["vm_food"]["thanks"].keys() == {"zh", "yue"}
    assert document["languages"] == LANGS  # the input is untouched

    lacking = for_languages(default_menu(["zh"]), ["zh", "en"])
    assert lacking["nodes"]["main"]["prompt"].keys() == {"zh"}
    with pytest.raises(Exception, match="missing prompt for language 'en'"):
        valid(lacking)


def _message(text: str, next_node: str) -> dict[str, Any]:
    return {"kind": "message", "prompt": {lang: text for lang in LANGS}, "next": next_node}


NOTICE = {"zh": "本周起核酸点调整", "yue": "今個禮拜起核酸點調整", "en": "Testing sites moved"}


def test_a_notice_goes_between_the_language_choice_and_the_menu():
    document, change = place_notice(base(), "notice", NOTICE, "after_language")
    assert change == "inserted_after_language"
    assert document["start"] == "choose_language"
    assert document["nodes"]["choose_language"]["next"] == "notice"
    assert document["nodes"]["notice"] == {"kind": "message", "prompt": NOTICE, "next": "main"}
    assert list(document["nodes"])[:3] == ["choose_language", "notice", "main"]
    valid(document)


def test_a_notice_at_the_start_comes_before_everything():
    document, change = place_notice(base(), "notice", NOTICE, "start")
    assert change == "inserted_at_start"
    assert document["start"] == "notice"
    assert document["nodes"]["notice"]["next"] == "choose_language"
    assert list(document["nodes"])[0] == "notice"
    valid(document)


def test_without_a_language_choice_the_notice_goes_first():
    document, change = place_notice(default_menu(["zh"]), "notice", NOTICE, "after_language")
    assert change == "inserted_at_start"
    assert document["start"] == "notice" and document["nodes"]["notice"]["next"] == "main"
    assert document["nodes"]["notice"]["prompt"] == {"zh": NOTICE["zh"]}  # its languages only
    valid(document)


def test_an_existing_notice_gets_new_prompts_where_it_is():
    placed, _ = place_notice(base(), "notice", NOTICE, "after_language")
    newer = {**NOTICE, "zh": "下周起恢复"}
    document, change = place_notice(placed, "notice", newer, "start")
    assert change == "replaced"
    assert document["start"] == "choose_language"
    assert document["nodes"]["notice"] == {"kind": "message", "prompt": newer, "next": "main"}
    same, change = place_notice(document, "notice", newer, "after_language")
    assert change == "unchanged" and same == document


def test_a_notice_cannot_take_over_another_kind_of_node():
    with pytest.raises(NoticeInvalid, match="kind 'menu'"):
        place_notice(base(), "main", NOTICE, "start")
    with pytest.raises(NoticeInvalid):
        remove_notice(base(), "vm_food")
    with pytest.raises(ValueError, match="placement"):
        place_notice(base(), "notice", NOTICE, "middle")  # type: ignore[arg-type]


def test_a_missing_translation_is_left_for_the_validator():
    document, _ = place_notice(base(), "notice", {"zh": "只有普通话"}, "start")
    with pytest.raises(Exception, match="nodes.notice.prompt: missing prompt for language 'yue'"):
        valid(document)


@pytest.mark.parametrize("placement", ["after_language", "start"])
@pytest.mark.parametrize("languages", [["zh"], ["zh", "yue"], LANGS])
def test_removing_a_notice_restores_the_menu(placement, languages):
    original = default_menu(languages)
    placed, _ = place_notice(original, "notice", NOTICE, placement)
    removed, change = remove_notice(placed, "notice")
    assert change == "removed" and removed == original
    again, change = remove_notice(removed, "notice")
    assert change == "unchanged" and again == original


def test_removing_a_notice_reroutes_every_way_into_it():
    document = base()
    document["nodes"]["notice"] = _message("通知", "vm_general")
    document["nodes"]["main"]["options"]["6"] = "notice"
    document["nodes"]["main"]["options"]["7"] = {"next": "notice", "need": "policy"}
    document["nodes"]["main"]["fallback"] = "notice"
    removed, _ = remove_notice(document, "notice")
    options = removed["nodes"]["main"]["options"]
    assert options["6"] == "vm_general" and options["7"]["next"] == "vm_general"
    assert removed["nodes"]["main"]["fallback"] == "vm_general"
    valid(removed)


def test_a_notice_in_a_merged_menu_survives_the_next_template():
    ours, _ = place_notice(base(), "notice", NOTICE, "after_language")
    theirs = base()
    theirs["nodes"]["main"]["prompt"]["zh"] = "模板的新菜单"
    merged = three_way(base(), ours, theirs)
    assert merged.document["nodes"]["choose_language"]["next"] == "notice"
    assert merged.document["nodes"]["notice"]["prompt"] == NOTICE
    assert merged.document["nodes"]["main"]["prompt"]["zh"] == "模板的新菜单"
    assert merged.kept == ["nodes.choose_language.next", "nodes.notice"]
    valid(merged.document)


# Property: with edits to prompts on both sides, each slot ends up as the station's own
# text where the station changed it, else the template's, and the result is a sound menu.
PROMPT_SLOTS = [
    (node, field, lang)
    for node, fields in [
        ("main", ("prompt", "invalid")),
        ("medical_notice", ("prompt",)),
        ("vm_food", ("prompt", "thanks")),
        ("closed_notice", ("prompt",)),
    ]
    for field in fields
    for lang in LANGS
]
edits = st.dictionaries(st.sampled_from(PROMPT_SLOTS), st.text(min_size=1, max_size=8).filter(
    str.strip
), max_size=8)  # fmt: skip


@settings(max_examples=150, deadline=None)
@given(station_edits=edits, template_edits=edits)
def test_prompt_edits_from_both_sides_combine(station_edits, template_edits):
    ours, theirs = base(), base()
    for document, changes in ((ours, station_edits), (theirs, template_edits)):
        for (node, field, lang), text in changes.items():
            document["nodes"][node][field][lang] = text
    merged = three_way(base(), ours, theirs)
    original = base()
    for node, field, lang in PROMPT_SLOTS:
        slot = (node, field, lang)
        before = original["nodes"][node][field][lang]
        own = station_edits.get(slot, before)
        expected = own if own != before else template_edits.get(slot, before)
        assert merged.document["nodes"][node][field][lang] == expected
    # Overrides: the station's own text, unless the template now says the same.
    overrides = {s for s, t in station_edits.items() if t not in (_at(original, s), _at(theirs, s))}
    assert set(merged.kept) == {"nodes.{}.{}.{}".format(*s) for s in overrides}
    valid(merged.document)


@settings(max_examples=100, deadline=None)
@given(
    languages=st.lists(st.sampled_from(LANGS), min_size=1, max_size=3, unique=True),
    node_id=st.from_regex(r"[A-Za-z][A-Za-z0-9_]{0,10}", fullmatch=True),
    placement=st.sampled_from(["after_language", "start"]),
)
def test_a_placed_notice_is_sound_and_removable(languages, node_id, placement):
    original = default_menu(languages)
    if node_id in original["nodes"]:
        return
    placed, _ = place_notice(original, node_id, NOTICE, placement)
    valid(placed)
    assert remove_notice(placed, node_id)[0] == original


def _at(document: dict[str, Any], slot: tuple[str, str, str]) -> str:
    node, field, lang = slot
    return document["nodes"][node][field][lang]
