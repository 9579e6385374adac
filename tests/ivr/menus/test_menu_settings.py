"""The menu's elderly-friendly settings: what the validator accepts, and what it refuses
with a message that names the place (and for a key clash, the node)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from ivr.menus import parse_menu
from ivr.menus.default_menu import default_menu, default_menu_yaml
from ivr.menus.document import KeyRoute, Prompt
from ivr.menus.graph import unreachable
from ivr.menus.outline import outline
from tests.ivr.menus.test_validate import PROMPTS, base, dump, problems


def with_settings(**settings: Any) -> dict[str, Any]:
    doc = base()
    doc["settings"] = settings
    return doc


REPEAT = {"prompt": {"zh": "重听请按星号键", "en": "Press star to hear this again"}}
PERSON = {"next": "vm", "prompt": {"zh": "找社工请按0", "en": "Press 0 for a person"}}


def test_the_default_template_turns_every_setting_on():
    settings = parse_menu(default_menu_yaml(["zh", "yue", "en"])).menu.settings
    assert settings.speech_rate == "85%" and settings.key_timeout == 10
    assert settings.repeat_key is not None and settings.repeat_key["yue"].say == "重聽請按星號鍵。"
    assert settings.person_key is not None and settings.person_key.next == "worker_hours"
    assert settings.elderly is not None and settings.elderly.next == "elderly_hours"


def test_settings_parse_into_typed_values():
    doc = with_settings(speech_rate="x-slow", key_timeout=12, repeat_key=REPEAT, person_key=PERSON)
    doc["nodes"]["main"]["speech_rate"] = "120%"
    doc["nodes"]["main"]["repeat_key"] = False
    menu = parse_menu(dump(doc)).menu
    assert menu.settings.speech_rate == "x-slow" and menu.settings.key_timeout == 12
    assert menu.settings.person_key == KeyRoute(
        "vm", {"zh": Prompt(say="找社工请按0"), "en": Prompt(say="Press 0 for a person")}
    )
    main = menu.nodes["main"]
    assert main.speech_rate == "120%" and main.repeat_key is False and main.person_key is True


def test_no_settings_means_everything_off():
    settings = parse_menu(dump(base())).menu.settings
    assert settings.speech_rate is None and settings.key_timeout is None
    assert (settings.repeat_key, settings.person_key, settings.elderly) == (None, None, None)
    # `false` is the same as leaving a setting out
    off = parse_menu(dump(with_settings(repeat_key=False, elderly=False))).menu.settings
    assert (off.repeat_key, off.elderly) == (None, None)


@pytest.mark.parametrize("rate", ["300%", "19%", "85", "fastest", "", 85, "085%x"])
def test_bad_speech_rates_are_refused_with_what_is_allowed(rate):
    found = problems(with_settings(speech_rate=rate))
    assert len(found) == 1 and found[0].startswith("settings.speech_rate: expected a speech rate")
    assert "from 20% to 200% (such as '85%', slower than normal)" in found[0]
    assert "x-slow, slow, medium, fast, x-fast" in found[0]


def test_a_bad_node_speech_rate_is_named_at_the_node():
    doc = base()
    doc["nodes"]["vm"]["speech_rate"] = "250%"
    assert problems(doc)[0].startswith("nodes.vm.speech_rate: expected a speech rate")


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"key_timeout": 0}, "settings.key_timeout: must be from 1 to 30, got 0"),
        ({"key_timeout": 45}, "settings.key_timeout: must be from 1 to 30, got 45"),
        ({"key_timeout": "10"}, "settings.key_timeout: expected a whole number from 1 to 30"),
        ({"repeat_key": True}, "settings.repeat_key: expected a mapping with 'prompt'"),
        ({"repeat_key": {}}, "settings.repeat_key.prompt: required: callers must be told"),
        ({"person_key": "vm"}, "settings.person_key: expected a mapping with 'next' and"),
        ({"person_key": {"prompt": PROMPTS}}, "settings.person_key.next: required for this"),
        ({"elderly": {"next": "vm"}}, "settings.elderly.prompt: required for this setting"),
        ({"elderly": {"next": "nowhere", "prompt": PROMPTS}}, "settings.elderly.next: unknown"),
        ({"person_key": {**PERSON, "key": "9"}}, "settings.person_key.key: unknown field 'key'"),
        ({"speed": "slow"}, "settings.speed: unknown field 'speed' for the settings"),
        ({"repeat_key": {"prompt": {"zh": "重听"}}}, "settings.repeat_key.prompt: missing"),
    ],
)
def test_bad_settings_are_refused_with_a_clear_message(settings, expected):
    found = problems(with_settings(**settings))
    assert any(p.startswith(expected) for p in found), found


def test_settings_must_be_a_mapping():
    doc = base()
    doc["settings"] = ["slow"]
    assert problems(doc) == ["settings: expected a mapping of settings, got a list"]


def test_node_key_switches_are_booleans():
    doc = base()
    doc["nodes"]["main"]["person_key"] = "off"
    assert problems(doc) == ["nodes.main.person_key: expected true or false, got the text 'off'"]


def test_star_as_an_option_clashes_with_the_repeat_key_naming_the_node():
    doc = with_settings(repeat_key=REPEAT)
    doc["nodes"]["main"]["options"]["*"] = "vm"
    assert problems(doc) == [
        "nodes.main.options.*: node 'main' uses the key '*' for an option of its own, but the"
        " settings' “press * to hear this again” is on (settings.repeat_key): use another key,"
        " or write repeat_key: false on this node"
    ]
    doc["nodes"]["main"]["repeat_key"] = False  # off at this node: no clash
    parse_menu(dump(doc))
    del doc["settings"]  # or off everywhere
    parse_menu(dump(doc))


def test_zero_to_somewhere_else_clashes_with_the_person_key():
    doc = with_settings(person_key={**PERSON, "next": "bye"})
    doc["nodes"]["bye"] = {"kind": "hangup"}
    doc["nodes"]["main"]["options"]["0"] = "vm"
    assert problems(doc) == [
        "nodes.main.options.0: node 'main' uses the key '0' for an option of its own, but the"
        " settings' “press 0 for a person” is on (settings.person_key, to 'bye'): use another"
        " key, or write person_key: false on this node"
    ]
    doc["nodes"]["main"]["options"]["0"] = "bye"  # the same place: says the same, no clash
    parse_menu(dump(doc))


def test_a_language_choice_on_star_or_zero_clashes_too():
    doc = with_settings(repeat_key=REPEAT, person_key=PERSON)
    doc["nodes"]["lang"] = {
        "kind": "language",
        "prompt": PROMPTS,
        "choices": {"*": "zh", "0": "en"},
        "next": "main",
    }
    doc["start"] = "lang"
    found = problems(doc)
    assert [p.split(":")[0] for p in found] == ["nodes.lang.choices.*", "nodes.lang.choices.0"]
    assert "node 'lang'" in found[0] and "node 'lang'" in found[1]


def test_every_clash_in_a_menu_is_listed():
    document = copy.deepcopy(default_menu(["zh"]))
    document["nodes"]["main"]["options"]["*"] = "vm_general"
    document["nodes"]["main"]["options"]["0"] = "vm_general"
    found = problems(document)
    assert [p.split(": ")[0] for p in found] == ["nodes.main.options.*", "nodes.main.options.0"]


def test_nodes_only_the_settings_lead_to_are_reachable():
    doc = with_settings(person_key={**PERSON, "next": "worker"})
    doc["nodes"]["worker"] = {"kind": "forward", "no_answer": "vm"}
    parsed = parse_menu(dump(doc))
    assert parsed.warnings == [] and unreachable(parsed.menu) == []
    del doc["settings"]
    assert [w.path for w in parse_menu(dump(doc)).warnings] == ["nodes.worker"]


def test_the_outline_shows_the_settings_and_where_their_routes_lead():
    shown = outline(parse_menu(default_menu_yaml(["zh"])).menu)
    lines = shown.splitlines()
    assert lines[1] == (
        "settings: speech rate 85%, keys waited 10s, * repeats, 0 for a person, elderly path"
    )
    assert "0 from any menu: ↺ worker_hours" in lines
    assert "elderly: elderly_hours (hours)" in lines
    assert (
        "  open: elderly_worker (forward sequential, 20s)  “正在为您转接值班社工，请稍候。”"
        in lines
    )
