"""The menu validator: documents that parse into the right dataclasses, and every rule."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from ivr.menus import (
    ForwardNode,
    HangupNode,
    HoursNode,
    LanguageNode,
    MenuInvalid,
    MenuNode,
    MenuProblem,
    MessageNode,
    Option,
    ParsedMenu,
    Prompt,
    TransferNode,
    Voice,
    VoicemailNode,
    parse_menu,
    validate_document,
)
from ivr.menus.default_menu import UNASSIGNED_MENU, default_menu_yaml

FULL = """\
start: choose_language
languages: [zh, en]
voices:
  en: {language: en-GB, voice: Polly.Amy}
nodes:
  choose_language:
    kind: language
    prompt: {zh: 普通话请按1, en: For English press 2}
    choices: {1: zh, 2: en}
    next: opening
  opening:
    kind: hours
    open: main
    closed: closed_notice
  main:
    kind: menu
    prompt:
      zh: 食物请按1
      en: {play: main-en.mp3, voice: Polly.Amy}
    options:
      1: {next: vm_food, need: food}
      "2": policy
      "*": to_tongde
      0: forward_worker
      "#": bye
    repeat: 3
    timeout: 10
    fallback: vm_general
    invalid: {zh: 没有这个选项, en: {say: Sorry., voice: Polly.Brian}}
  policy:
    kind: message
    prompt: {zh: 政策, en: "https://cdn.example.org/policy.mp3"}
    next: main
  closed_notice:
    kind: message
    prompt: {zh: {play: closed-zh.mp3}, en: We are closed.}
    next: vm_general
  vm_food:
    kind: voicemail
    prompt: {zh: 请留言, en: Leave a message}
    max_length: 300
    tags: [food, lone_elderly]
    priority: high
    thanks: {zh: 谢谢, en: Thank you}
  vm_general:
    kind: voicemail
    prompt: {zh: 请留言, en: Leave a message}
  forward_worker:
    kind: forward
    prompt: {zh: 请稍候, en: Please hold}
    strategy: simultaneous
    timeout: 30
    no_answer: vm_general
  to_tongde: {kind: transfer, station: baiyun-tongde}
  bye: {kind: hangup, prompt: {zh: 再见, en: Goodbye}}
"""


def base() -> dict[str, Any]:
    """A small valid document to break one rule at a time."""
    return {
        "start": "main",
        "languages": ["zh", "en"],
        "nodes": {
            "main": {
                "kind": "menu",
                "prompt": {"zh": "请按1", "en": "Press 1"},
                "options": {1: "vm"},
                "fallback": "vm",
            },
            "vm": {"kind": "voicemail", "prompt": {"zh": "请留言", "en": "Leave a message"}},
        },
    }


def with_node(node_id: str, node: dict[str, Any], *, option: str = "2") -> dict[str, Any]:
    """``base()`` plus ``node``, which main's ``option`` leads to."""
    doc = base()
    doc["nodes"][node_id] = node
    doc["nodes"]["main"]["options"][option] = node_id
    return doc


def dump(doc: object) -> str:
    return yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)


def problems(doc_or_text: object, **kwargs: Any) -> list[str]:
    text = doc_or_text if isinstance(doc_or_text, str) else dump(doc_or_text)
    with pytest.raises(MenuInvalid) as caught:
        parse_menu(text, **kwargs)
    return [str(problem) for problem in caught.value.errors]


def assert_problem(doc_or_text: object, path: str, fragment: str, **kwargs: Any) -> None:
    found = problems(doc_or_text, **kwargs)
    assert any(p.startswith(f"{path}: ") and fragment in p for p in found), found


PROMPTS = {"zh": "你好", "en": "Hello"}


# --- valid documents -------------------------------------------------------------------


def test_full_menu_parses_into_dataclasses() -> None:
    parsed = parse_menu(FULL)
    menu = parsed.menu
    assert parsed.warnings == []
    assert menu.start == "choose_language"
    assert menu.languages == ("zh", "en")
    assert menu.voices == {"en": Voice("en-GB", "Polly.Amy")}
    assert list(menu.nodes) == [
        "choose_language", "opening", "main", "policy", "closed_notice",
        "vm_food", "vm_general", "forward_worker", "to_tongde", "bye",
    ]  # fmt: skip
    assert menu.nodes["choose_language"] == LanguageNode(
        id="choose_language",
        prompt={"zh": Prompt(say="普通话请按1"), "en": Prompt(say="For English press 2")},
        choices={"1": "zh", "2": "en"},
        next="opening",
    )
    assert menu.nodes["opening"] == HoursNode(id="opening", open="main", closed="closed_notice")


def test_menu_node_fields_options_and_prompt_forms() -> None:
    main = parse_menu(FULL).menu.nodes["main"]
    assert isinstance(main, MenuNode)
    assert main.prompt == {
        "zh": Prompt(say="食物请按1"),
        "en": Prompt(play="main-en.mp3", voice="Polly.Amy"),
    }
    assert main.options == {
        "1": Option("1", "vm_food", "food"),
        "2": Option("2", "policy"),
        "*": Option("*", "to_tongde"),
        "0": Option("0", "forward_worker"),
        "#": Option("#", "bye"),
    }
    assert all(isinstance(key, str) for key in main.options)  # `1:` loads as int 1
    assert (main.repeat, main.timeout, main.fallback) == (3, 10, "vm_general")
    assert main.invalid == {
        "zh": Prompt(say="没有这个选项"),
        "en": Prompt(say="Sorry.", voice="Polly.Brian"),
    }


def test_other_node_kinds_and_defaults() -> None:
    nodes = parse_menu(FULL).menu.nodes
    assert nodes["policy"] == MessageNode(
        id="policy",
        prompt={"zh": Prompt(say="政策"), "en": Prompt(say="https://cdn.example.org/policy.mp3")},
        next="main",
    )
    assert nodes["closed_notice"].prompt["zh"] == Prompt(play="closed-zh.mp3")
    assert nodes["vm_food"] == VoicemailNode(
        id="vm_food",
        prompt={"zh": Prompt(say="请留言"), "en": Prompt(say="Leave a message")},
        max_length=300,
        tags=("food", "lone_elderly"),
        priority="high",
        thanks={"zh": Prompt(say="谢谢"), "en": Prompt(say="Thank you")},
    )
    general = nodes["vm_general"]
    assert isinstance(general, VoicemailNode)
    assert (general.max_length, general.tags, general.priority, general.thanks) == (
        120, (), "normal", {},
    )  # fmt: skip
    assert nodes["forward_worker"] == ForwardNode(
        id="forward_worker",
        prompt={"zh": Prompt(say="请稍候"), "en": Prompt(say="Please hold")},
        strategy="simultaneous",
        timeout=30,
        no_answer="vm_general",
    )
    assert nodes["to_tongde"] == TransferNode(id="to_tongde", station="baiyun-tongde")
    assert nodes["bye"] == HangupNode(
        id="bye", prompt={"zh": Prompt(say="再见"), "en": Prompt(say="Goodbye")}
    )


def test_defaults_of_menu_language_and_forward_nodes() -> None:
    doc = with_node("fw", {"kind": "forward", "no_answer": "vm"})
    doc["nodes"]["lang"] = {"kind": "language", "prompt": PROMPTS, "choices": {1: "zh"}}
    doc["nodes"]["lang"]["next"] = "main"
    doc["start"] = "lang"
    nodes = parse_menu(dump(doc)).menu.nodes
    # No timeout of their own: the engine waits settings.key_timeout, or 6 and 5 seconds.
    assert (nodes["main"].repeat, nodes["main"].timeout, nodes["main"].invalid) == (2, None, {})
    assert (nodes["lang"].repeat, nodes["lang"].timeout) == (1, None)
    assert nodes["fw"] == ForwardNode(id="fw", no_answer="vm")


@pytest.mark.parametrize("languages", [["zh", "yue", "en"], ["en"], ["yue", "zh"]])
def test_default_template_menus_are_valid(languages: list[str]) -> None:
    parsed = parse_menu(default_menu_yaml(languages))
    assert parsed.warnings == []
    assert parsed.menu.languages == tuple(languages)


def test_validate_document_takes_loaded_data() -> None:
    parsed = validate_document(UNASSIGNED_MENU)
    assert isinstance(parsed, ParsedMenu)
    assert parsed.menu.start == "sorry"


def test_problem_and_exception_strings() -> None:
    problem = MenuProblem("nodes.main.next", "unknown node 'x'")
    assert str(problem) == "nodes.main.next: unknown node 'x'"
    error = MenuInvalid([problem, MenuProblem("start", "required")])
    assert str(error) == "nodes.main.next: unknown node 'x'\nstart: required"


# --- rule 1: structure, fields, types and ranges ----------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("- a\n- b\n", "expected a mapping with start, languages and nodes, got a list"),
        ("just text\n", "expected a mapping with start, languages and nodes, got the text"),
        ("", "the document is empty"),
        ("# nothing but a comment\n", "the document is empty"),
    ],
)
def test_document_must_be_a_mapping(text: str, message: str) -> None:
    assert_problem(text, "(document)", message)


def test_unknown_top_level_field() -> None:
    doc = base() | {"title": "x"}
    assert problems(doc) == [
        "title: unknown top-level field 'title' (allowed: start, languages, voices, nodes,"
        " settings)"
    ]


def test_missing_top_level_fields_are_all_reported() -> None:
    assert problems("voices: {}\n") == ["start: required", "languages: required", "nodes: required"]


@pytest.mark.parametrize(
    ("kind", "field"),
    [("message", "invalid"), ("menu", "thanks"), ("hangup", "next"), ("voicemail", "options")],
)
def test_unknown_field_for_the_kind(kind: str, field: str) -> None:
    node = {
        "menu": {"kind": "menu", "prompt": PROMPTS, "options": {1: "vm"}, "fallback": "vm"},
        "message": {"kind": "message", "prompt": PROMPTS, "next": "vm"},
        "hangup": {"kind": "hangup"},
        "voicemail": {"kind": "voicemail", "prompt": PROMPTS},
    }[kind]
    node[field] = "vm"
    assert problems(with_node("x", node)) == [
        f"nodes.x.{field}: unknown field '{field}' for kind '{kind}'"
        f" (allowed: kind, {', '.join(NODE_FIELDS[kind])})"
    ]


NODE_FIELDS = {
    "menu": ["prompt", "options", "repeat", "timeout", "fallback", "invalid"]
    + ["speech_rate", "repeat_key", "person_key"],
    "message": ["prompt", "next", "speech_rate"],
    "hangup": ["prompt", "speech_rate"],
    "voicemail": ["prompt", "max_length", "tags", "priority", "thanks", "speech_rate"],
}


@pytest.mark.parametrize(
    ("node", "path", "message"),
    [
        ({"repeat": [1]}, "repeat", "expected a whole number from 0 to 5, got a list"),
        ({"repeat": True}, "repeat", "expected a whole number from 0 to 5, got the boolean true"),
        ({"timeout": 2.5}, "timeout", "expected a whole number from 1 to 30, got the number 2.5"),
        ({"timeout": "6"}, "timeout", "expected a whole number from 1 to 30, got the text '6'"),
        ({"repeat": 6}, "repeat", "must be from 0 to 5, got 6"),
        ({"repeat": -1}, "repeat", "must be from 0 to 5, got -1"),
        ({"timeout": 0}, "timeout", "must be from 1 to 30, got 0"),
        ({"timeout": 31}, "timeout", "must be from 1 to 30, got 31"),
        ({"fallback": ["vm"]}, "fallback", "expected a node id, got a list"),
    ],
)
def test_menu_field_types_and_ranges(node: dict[str, Any], path: str, message: str) -> None:
    doc = base()
    doc["nodes"]["main"].update(node)
    assert problems(doc) == [f"nodes.main.{path}: {message}"]


@pytest.mark.parametrize(
    ("node", "path", "message"),
    [
        ({"kind": "voicemail", "max_length": 4}, "max_length", "must be from 5 to 600, got 4"),
        ({"kind": "voicemail", "max_length": 601}, "max_length", "must be from 5 to 600, got 601"),
        ({"kind": "voicemail", "priority": "asap"}, "priority", "unknown priority 'asap'"),
        ({"kind": "voicemail", "tags": "food"}, "tags", "expected a list of tag codes"),
        ({"kind": "voicemail", "tags": ["Food"]}, "tags.0", "expected a tag code"),
        ({"kind": "voicemail", "tags": ["a", "a"]}, "tags.1", "tag 'a' listed twice"),
        ({"kind": "forward", "timeout": 61}, "timeout", "must be from 5 to 60, got 61"),
        ({"kind": "forward", "strategy": "all"}, "strategy", "unknown strategy 'all'"),
        ({"kind": "language", "repeat": 9}, "repeat", "must be from 0 to 5, got 9"),
    ],
)
def test_other_field_types_and_ranges(node: dict[str, Any], path: str, message: str) -> None:
    complete = {
        "voicemail": {"prompt": PROMPTS},
        "forward": {"no_answer": "vm"},
        "language": {"prompt": PROMPTS, "choices": {1: "zh"}, "next": "vm"},
    }[node["kind"]]
    assert_problem(with_node("x", complete | node), f"nodes.x.{path}", message)


@pytest.mark.parametrize(
    ("node", "path", "message"),
    [
        ({"kind": "menuu"}, "nodes.x.kind", "unknown kind 'menuu' (expected one of: menu, "),
        ({"kind": 3}, "nodes.x.kind", "expected a kind (menu, language, message, voicemail, "),
        ({"next": "vm"}, "nodes.x.kind", "required (one of: menu, language, message, "),
        ("vm", "nodes.x", "expected a mapping with a 'kind', got the text 'vm'"),
        (None, "nodes.x", "expected a mapping with a 'kind', got nothing (null)"),
    ],
)
def test_node_kind(node: object, path: str, message: str) -> None:
    assert_problem(with_node("x", node), path, message)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("languages", "path", "message"),
    [
        ([], "languages", "needs at least one language"),
        ("zh", "languages", "expected a list of language codes like [zh, en], got the text"),
        (["zh", "EN"], "languages.1", "expected a language code of 2 or 3 lowercase letters"),
        (["zh", False], "languages.1", "got the boolean false (quote it if you meant text)"),
        (["zh", "zh"], "languages.1", "language 'zh' listed twice"),
        (["zh"] + [f"a{c}" for c in "abcdefghijklm"], "languages", "too many languages: 14"),
    ],
)
def test_languages(languages: object, path: str, message: str) -> None:
    doc = base()
    doc["languages"] = languages
    assert_problem(doc, path, message)


def test_yaml_no_is_a_boolean_not_norwegian() -> None:
    text = dump(base()).replace("- en\n", "- no\n")
    assert_problem(text, "languages.1", "got the boolean false (quote it if you meant text)")


@pytest.mark.parametrize(
    ("nodes", "path", "message"),
    [
        ({}, "nodes", "needs at least one node"),
        (["main"], "nodes", "expected a mapping of node id → node, got a list"),
        ({"1st": {"kind": "hangup"}}, "nodes.1st", "invalid node id '1st': use a letter, then"),
        ({7: {"kind": "hangup"}}, "nodes.7", "invalid node id '7'"),
        ({"a.b": {"kind": "hangup"}}, "nodes.a.b", "invalid node id 'a.b'"),
    ],
)
def test_nodes_mapping_and_ids(nodes: object, path: str, message: str) -> None:
    doc = base()
    doc["nodes"] = nodes if not isinstance(nodes, dict) or not nodes else doc["nodes"] | nodes
    assert_problem(doc, path, message)


def test_a_node_with_a_bad_id_is_still_checked() -> None:
    doc = base()
    doc["nodes"]["2nd"] = {"kind": "hangup", "next": "vm"}
    assert problems(doc) == [
        "nodes.2nd: invalid node id '2nd': use a letter, then up to 63 letters, digits, '_' or '-'",
        "nodes.2nd.next: unknown field 'next' for kind 'hangup' (allowed: kind, prompt,"
        " speech_rate)",
    ]


@pytest.mark.parametrize(
    ("voices", "path", "message"),
    [
        ({"fr": {"language": "fr-FR", "voice": "x"}}, "voices.fr", "language 'fr' is not offered"),
        ({"zh": {"language": "cmn-CN"}}, "voices.zh.voice", "required for a voice"),
        ({"zh": {"language": "c m n", "voice": "x"}}, "voices.zh.language", "expected a Twilio"),
        ({"zh": {"language": "cmn-CN", "voice": "a", "speed": 2}}, "voices.zh.speed", "unknown"),
        ({"zh": "Polly.Zhiyu"}, "voices.zh", "expected a mapping with 'language' and 'voice'"),
        (["zh"], "voices", "expected a mapping of language → voice, got a list"),
    ],
)
def test_voices(voices: object, path: str, message: str) -> None:
    assert_problem(base() | {"voices": voices}, path, message)


# --- rule 2: prompts ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("node_id", "node"),
    [
        ("x", {"kind": "menu", "options": {1: "vm"}, "fallback": "vm"}),
        ("x", {"kind": "language", "choices": {1: "zh"}, "next": "vm"}),
        ("x", {"kind": "message", "next": "vm"}),
        ("x", {"kind": "voicemail"}),
    ],
)
def test_prompt_is_required(node_id: str, node: dict[str, Any]) -> None:
    assert problems(with_node(node_id, node)) == [
        f"nodes.x.prompt: required for kind '{node['kind']}'"
    ]


def test_prompt_is_optional_for_forward_transfer_and_hangup() -> None:
    doc = with_node("fw", {"kind": "forward", "no_answer": "t"})
    doc["nodes"]["t"] = {"kind": "transfer", "station": "haizhu"}
    doc["nodes"]["bye"] = {"kind": "hangup"}
    doc["nodes"]["main"]["options"]["3"] = "bye"
    assert parse_menu(dump(doc)).menu.nodes["bye"].prompt == {}


def test_hours_node_has_no_prompt() -> None:
    doc = with_node("h", {"kind": "hours", "prompt": PROMPTS, "open": "vm", "closed": "vm"})
    assert problems(doc) == ["nodes.h.prompt: an hours node says nothing: remove the prompt"]


@pytest.mark.parametrize("field", ["prompt", "invalid"])
def test_every_offered_language_needs_a_prompt(field: str) -> None:
    doc = base()
    doc["nodes"]["main"][field] = {"zh": "你好"}
    assert problems(doc) == [
        f"nodes.main.{field}: missing prompt for language 'en' (offered in languages)"
    ]


def test_thanks_needs_every_language_and_no_other() -> None:
    doc = base()
    doc["nodes"]["vm"]["thanks"] = {"en": "Thanks", "fr": "Merci"}
    assert problems(doc) == [
        "nodes.vm.thanks.fr: language 'fr' is not offered in languages",
        "nodes.vm.thanks: missing prompt for language 'zh' (offered in languages)",
    ]


@pytest.mark.parametrize(
    ("entry", "path", "message"),
    [
        ("", "nodes.main.prompt.en", "empty text"),
        ("  \n", "nodes.main.prompt.en", "empty text"),
        ({"say": ""}, "nodes.main.prompt.en.say", "empty text"),
        ("x" * 4097, "nodes.main.prompt.en", "too long: 4097 characters (at most 4096)"),
        (["Hi"], "nodes.main.prompt.en", "expected text, or a mapping with 'say' or 'play'"),
        (None, "nodes.main.prompt.en", "got nothing (null)"),
        ({"say": "Hi", "play": "a.mp3"}, "nodes.main.prompt.en", "exactly one of 'say' or 'play'"),
        ({"voice": "Polly.Amy"}, "nodes.main.prompt.en", "exactly one of 'say' or 'play'"),
        (
            {"say": "Hi", "loud": 1},
            "nodes.main.prompt.en.loud",
            "unknown field 'loud' for a prompt",
        ),
        ({"play": "../etc/passwd"}, "nodes.main.prompt.en.play", "expected a prompt file name"),
        ({"play": ".."}, "nodes.main.prompt.en.play", "expected a prompt file name"),
        ({"play": "http://x.org/a.mp3"}, "nodes.main.prompt.en.play", "is a URL; play only"),
        ({"play": "https:///a.mp3"}, "nodes.main.prompt.en.play", "is a URL; play only"),
        ({"play": "https://x.org/a b"}, "nodes.main.prompt.en.play", "is a URL; play only"),
        ({"play": "https://cdn.example.org/a.mp3"}, "nodes.main.prompt.en.play", "prompt library"),
        ({"play": "file:///etc/passwd"}, "nodes.main.prompt.en.play", "is a URL; play only"),
        ({"say": "Hi", "voice": "no voice"}, "nodes.main.prompt.en.voice", "a Twilio voice name"),
    ],
)
def test_prompt_entries(entry: object, path: str, message: str) -> None:
    doc = base()
    doc["nodes"]["main"]["prompt"]["en"] = entry
    assert_problem(doc, path, message)


def test_prompt_map_must_be_a_mapping() -> None:
    doc = base()
    doc["nodes"]["main"]["prompt"] = "Press 1"
    assert problems(doc) == [
        "nodes.main.prompt: expected a mapping of language → prompt, got the text 'Press 1'"
    ]


# --- rule 3: phone keys and repeated keys -------------------------------------------------


@pytest.mark.parametrize(("key", "shown"), [("x", "x"), (10, "10"), (1.5, "1.5"), (False, "false")])
def test_option_key_must_be_a_phone_key(key: object, shown: str) -> None:
    doc = base()
    doc["nodes"]["main"]["options"][key] = "vm"
    assert problems(doc) == [
        f"nodes.main.options.{shown}: '{shown}' is not a phone key (expected 0-9, * or #)"
    ]


def test_int_and_string_key_for_the_same_phone_key() -> None:
    text = dump(base()).replace("    options:\n", "    options:\n      '1': main\n")
    assert "'1': main\n      1: vm" in text
    assert problems(text) == ["nodes.main.options.1: key '1' used twice"]


def test_choice_keys_used_twice_and_languages_not_offered() -> None:
    doc = with_node("lang", {"kind": "language", "prompt": PROMPTS, "next": "vm"})
    doc["nodes"]["lang"]["choices"] = {1: "zh", "1": "en", 2: "fr", 3: 3}
    assert problems(doc) == [
        "nodes.lang.choices.1: key '1' used twice",
        "nodes.lang.choices.2: language 'fr' is not offered in languages",
        "nodes.lang.choices.3: expected a language code like 'zh', got the number 3",
    ]


SMALL = """\
start: main
languages: [en]
nodes:
  main:
    kind: menu
    prompt: {en: Press 1}
    options:
      1: vm
    fallback: vm
  vm:
    kind: voicemail
    prompt: {en: Leave a message}
"""


def test_small_document_is_valid() -> None:
    assert list(parse_menu(SMALL).menu.nodes) == ["main", "vm"]


def test_duplicate_yaml_key_names_the_key_and_lines() -> None:
    text = SMALL + "  main:\n    kind: hangup\n"
    assert problems(text)[0] == "nodes: duplicate key 'main' at line 13 (first at line 4)"


def test_duplicate_yaml_keys_in_nested_mappings_are_all_reported() -> None:
    text = SMALL.replace("      1: vm\n", "      1: vm\n      1: main\n")
    text = text.replace("start: main\n", "start: main\nstart: vm\n")
    assert problems(text) == [
        "(document): duplicate key 'start' at line 2 (first at line 1)",
        "nodes.main.options: duplicate key '1' at line 10 (first at line 9)",
    ]


def test_merge_keys_may_be_overridden() -> None:
    text = dump(base()) + (
        "  bye: &bye {kind: hangup, prompt: {zh: 再见, en: Bye}}\n"
        "  bye2:\n    <<: *bye\n    prompt: {zh: 拜拜, en: Bye bye}\n"
    )
    nodes = parse_menu(text).menu.nodes
    assert nodes["bye2"] == HangupNode(
        id="bye2", prompt={"zh": Prompt(say="拜拜"), "en": Prompt(say="Bye bye")}
    )


@pytest.mark.parametrize(
    ("options", "path", "message"),
    [
        ({}, "nodes.main.options", "needs at least one option"),
        (["vm"], "nodes.main.options", "expected a mapping of phone key → option, got a list"),
        ({k: "vm" for k in [*range(10), "*", "#", "a"]}, "nodes.main.options", "13 options, but"),
        ({1: ["vm"]}, "nodes.main.options.1", "expected a node id, or a mapping with 'next'"),
        ({1: {"need": "food"}}, "nodes.main.options.1.next", "required for an option"),
        ({1: {"next": "vm", "need": "Food!"}}, "nodes.main.options.1.need", "expected a tag code"),
        ({1: {"next": "vm", "tag": "x"}}, "nodes.main.options.1.tag", "unknown field 'tag' for an"),
    ],
)
def test_options(options: object, path: str, message: str) -> None:
    doc = base()
    doc["nodes"]["main"]["options"] = options
    assert_problem(doc, path, message)


# --- rules 4 and 5: references and stations -----------------------------------------------


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"start": "mian"}, "start"),
        ({"nodes.main.fallback": "mian"}, "nodes.main.fallback"),
        ({"nodes.main.options": {1: "mian"}}, "nodes.main.options.1"),
        ({"nodes.main.options": {1: {"next": "mian"}}}, "nodes.main.options.1.next"),
        ({"nodes.x": {"kind": "message", "prompt": PROMPTS, "next": "mian"}}, "nodes.x.next"),
        ({"nodes.x": {"kind": "forward", "no_answer": "mian"}}, "nodes.x.no_answer"),
        ({"nodes.x": {"kind": "hours", "open": "mian", "closed": "vm"}}, "nodes.x.open"),
        ({"nodes.x": {"kind": "hours", "open": "vm", "closed": "mian"}}, "nodes.x.closed"),
        (
            {
                "nodes.x": {
                    "kind": "language",
                    "prompt": PROMPTS,
                    "choices": {1: "zh"},
                    "next": "mian",
                }
            },
            "nodes.x.next",
        ),
    ],
)
def test_references_must_name_existing_nodes(change: dict[str, Any], path: str) -> None:
    doc = with_node("x", {"kind": "hangup"}, option="3")  # replaced below where named
    for dotted, value in change.items():
        *parents, last = dotted.split(".")
        target = doc
        for part in parents:
            target = target[part]
        target[last] = value
    assert problems(doc) == [f"{path}: unknown node 'mian'"]


@pytest.mark.parametrize("known", [None, {"baiyun-tongde", "haizhu"}])
def test_transfer_to_a_station(known: set[str] | None) -> None:
    doc = with_node("t", {"kind": "transfer", "station": "baiyun-tongde"})
    assert parse_menu(dump(doc), known_stations=known).menu.nodes["t"].station == "baiyun-tongde"


def test_transfer_to_unknown_station() -> None:
    doc = with_node("t", {"kind": "transfer", "station": "baiyun-tonde"})
    assert problems(doc, known_stations={"baiyun-tongde"}) == [
        "nodes.t.station: transfer to unknown station 'baiyun-tonde'"
    ]
    assert problems(doc, known_stations=set()) == [
        "nodes.t.station: transfer to unknown station 'baiyun-tonde'"
    ]


@pytest.mark.parametrize("station", ["Baiyun", "-x", "a b", "", "a" * 65, 12])
def test_station_code_pattern(station: object) -> None:
    doc = with_node("t", {"kind": "transfer", "station": station})
    assert_problem(doc, "nodes.t.station", "expected a station code (lowercase letters, digits")


def test_transfer_needs_a_station() -> None:
    assert problems(with_node("t", {"kind": "transfer"})) == [
        "nodes.t.station: required for kind 'transfer'"
    ]


# --- rule 6: the graph ------------------------------------------------------------------


def menu_node(options: dict[Any, Any], fallback: str) -> dict[str, Any]:
    return {"kind": "menu", "prompt": PROMPTS, "options": options, "fallback": fallback}


def test_loop_with_no_exit() -> None:
    doc = base()
    doc["nodes"]["main"] = menu_node({1: "other"}, "other")
    doc["nodes"]["other"] = menu_node({1: "main", 2: "other"}, "main")
    doc["nodes"]["lost"] = menu_node({1: "lost"}, "lost")
    assert problems(doc) == [
        "nodes.main: loop with no exit: main → other → main",
        "nodes.other: loop with no exit: other → main → other",
    ]  # `lost` is as stuck, but unreachable: no call can get there


def test_a_path_into_a_loop_names_the_loop() -> None:
    doc = base()
    doc["nodes"]["main"] = menu_node({1: "a"}, "a")
    doc["nodes"]["a"] = menu_node({1: "b"}, "b")
    doc["nodes"]["b"] = menu_node({1: "a"}, "a")
    assert problems(doc)[0] == "nodes.main: loop with no exit: main → a → b → a"


def test_endless_loop_of_automatic_nodes() -> None:
    doc = with_node("a", {"kind": "message", "prompt": PROMPTS, "next": "b"})
    doc["nodes"]["b"] = {"kind": "message", "prompt": PROMPTS, "next": "a"}
    assert problems(doc) == ["nodes.a: endless loop without input: a → b → a"]


def test_endless_loop_through_an_hours_node_that_can_exit() -> None:
    doc = with_node("h", {"kind": "hours", "open": "m", "closed": "vm"})
    doc["nodes"]["m"] = {"kind": "message", "prompt": PROMPTS, "next": "h"}
    assert problems(doc) == ["nodes.h: endless loop without input: h → m → h"]


def test_message_looping_to_itself() -> None:
    doc = with_node("m", {"kind": "message", "prompt": PROMPTS, "next": "m"})
    assert problems(doc) == ["nodes.m: endless loop without input: m → m"]


def test_forwards_looping_when_nobody_answers() -> None:
    doc = with_node("f1", {"kind": "forward", "no_answer": "f2"})
    doc["nodes"]["f2"] = {"kind": "forward", "no_answer": "f1"}
    assert problems(doc) == [
        "nodes.f1: endless loop without input when nobody answers: f1 → f2 → f1"
    ]


def test_a_menu_may_lead_back_to_itself_and_earlier_menus() -> None:
    doc = with_node("sub", menu_node({9: "main", 8: "sub"}, "vm"))
    assert parse_menu(dump(doc)).warnings == []


def test_unreachable_node_is_a_warning() -> None:
    doc = base()
    doc["nodes"]["old"] = {"kind": "hangup"}
    doc["nodes"]["older"] = {"kind": "message", "prompt": PROMPTS, "next": "old"}
    parsed = parse_menu(dump(doc))
    assert [str(w) for w in parsed.warnings] == [
        "nodes.old: unreachable: no path from start 'main' leads here",
        "nodes.older: unreachable: no path from start 'main' leads here",
    ]
    assert "old" in parsed.menu.nodes


def test_graph_is_not_checked_while_references_are_broken() -> None:
    doc = with_node("a", {"kind": "message", "prompt": PROMPTS, "next": "a"})
    doc["nodes"]["main"]["fallback"] = "nowhere"
    assert problems(doc) == ["nodes.main.fallback: unknown node 'nowhere'"]


# --- rule 7: something to press -----------------------------------------------------------


def test_language_node_needs_a_choice() -> None:
    doc = with_node("lang", {"kind": "language", "prompt": PROMPTS, "choices": {}, "next": "vm"})
    assert problems(doc) == ["nodes.lang.choices: needs at least one choice"]


def test_menu_needs_an_option() -> None:
    doc = base()
    doc["nodes"]["main"]["options"] = {}
    assert problems(doc) == ["nodes.main.options: needs at least one option"]


# --- several problems at once; YAML; limits (rule 8) ---------------------------------------


def test_several_problems_are_all_reported() -> None:
    doc = base()
    doc["languages"] = ["zh", "en"]
    doc["nodes"]["main"]["timeout"] = 99
    doc["nodes"]["main"]["options"][2] = "vm_fod"
    doc["nodes"]["main"]["prompt"] = {"zh": "请按1"}
    doc["nodes"]["vm"]["priority"] = "soon"
    doc["nodes"]["t"] = {"kind": "transfer", "station": "nowhere"}
    assert problems(doc, known_stations={"haizhu"}) == [
        "nodes.main.prompt: missing prompt for language 'en' (offered in languages)",
        "nodes.main.options.2: unknown node 'vm_fod'",
        "nodes.main.timeout: must be from 1 to 30, got 99",
        "nodes.vm.priority: unknown priority 'soon' (expected one of: urgent, high, normal, low)",
        "nodes.t.station: transfer to unknown station 'nowhere'",
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("start: main\nnodes: [a\n", "YAML syntax error at line 3, column 1: expected ',' or ']'"),
        ("a: b: c\n", "YAML syntax error at line 1, column 5: mapping values are not allowed here"),
        ("start: *missing\n", "found undefined alias 'missing'"),
        ("start: x\n---\nstart: y\n", "expected a single document"),
        ("start: !!python/object/apply:os.system [ls]\n", "could not determine a constructor"),
        ("start: !custom x\n", "could not determine a constructor for the tag '!custom'"),
        ("start: 2022-13-45\n", "invalid YAML value: month must be in 1..12"),
        ("start: \x00\n", "invalid YAML: unacceptable character"),
        ("? [a]\n: b\n", "found unhashable key"),
        ("a: " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("a: " + "1" * 5000 + "\n", "invalid YAML value"),
    ],
)
def test_invalid_yaml(text: str, message: str) -> None:
    found = problems(text)
    assert len(found) == 1 and found[0].startswith("(document): ")
    assert message in found[0], found


def test_recursive_aliases_are_plain_bad_values() -> None:
    assert_problem("start: main\nlanguages: [en]\nnodes: &n {a: *n}\n", "nodes.a.kind", "required")


def test_document_size_is_capped() -> None:
    text = "# " + "x" * 200_000 + "\n" + SMALL
    size = len(text.encode())
    assert problems(text) == [f"(document): document too large: {size} bytes (at most 200000)"]
    assert parse_menu("# " + "界" * 60_000 + "\n" + SMALL).menu.start == "main"  # 180 kB


def test_node_count_is_capped() -> None:
    doc = base()
    doc["nodes"] |= {f"n{i}": {"kind": "hangup"} for i in range(499)}
    assert problems(doc) == ["nodes: too many nodes: 501 (at most 500)"]


def test_problem_count_is_capped() -> None:
    doc = base()
    doc["nodes"] |= {f"{i}x": {"kind": "hangup"} for i in range(300)}
    found = problems(doc)
    assert len(found) == 101
    assert found[-1] == "(document): too many problems: stopped after the first 100"


def test_text_must_be_a_string() -> None:
    with pytest.raises(MenuInvalid, match=r"^\(document\): expected YAML text, got a value of"):
        parse_menu(b"start: main")  # type: ignore[arg-type]


def test_known_stations_may_be_any_collection() -> None:
    doc = with_node("t", {"kind": "transfer", "station": "haizhu"})
    assert parse_menu(dump(doc), known_stations=["haizhu"]).menu.nodes["t"].station == "haizhu"


@pytest.mark.parametrize(
    "source",
    ["https://cdn.example.org/notice.mp3", "https://hotline.example.org/prompts/v1/a.mp3"],
)
def test_play_takes_only_the_stations_library_never_a_url(source: str) -> None:
    doc = base()
    doc["nodes"]["main"]["prompt"]["en"] = {"play": source}
    with pytest.raises(MenuInvalid) as error:
        validate_document(doc, known_prompts={"notice.mp3", "a.mp3"})
    [problem] = [str(p) for p in error.value.errors]
    assert problem.startswith("nodes.main.prompt.en.play: 'https://")
    assert problem.endswith(
        "is a URL; play only plays files of the "
        "station's prompt library: upload the recording there and name it here"
    )
    doc["nodes"]["main"]["prompt"]["en"] = {"play": "notice.mp3"}
    assert validate_document(doc, known_prompts={"notice.mp3"}).menu
