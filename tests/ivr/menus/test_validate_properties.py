"""Properties of the validator: it only ever raises MenuInvalid, and accepts sound menus."""

from __future__ import annotations

from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from ivr.menus import DTMF_KEYS, MenuInvalid, ParsedMenu, Prompt, parse_menu, validate_document
from ivr.menus.graph import edges

SETTINGS = settings(max_examples=200, deadline=None)

YAML_ALPHABET = list(":-[]{},#&*!|>'\"?%@ \n\t0123456789abkmnostz_.~")
yamlish_text = st.text(alphabet=YAML_ALPHABET, max_size=200)
scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
keys = st.none() | st.booleans() | st.integers() | st.text(max_size=10)
nested = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=4),
    max_leaves=30,
)

FIELD_NAMES = [
    "kind", "prompt", "options", "choices", "next", "repeat", "timeout", "fallback", "invalid",
    "max_length", "tags", "priority", "thanks", "strategy", "no_answer", "station", "open",
    "closed", "say", "play", "voice", "need",
]  # fmt: skip
KINDS = ["menu", "language", "message", "voicemail", "forward", "transfer", "hours", "hangup"]
LANGUAGES = ["zh", "yue", "en", "ko"]
IDS = ["main", "vm", "a", "b"]
# Near-miss documents: the right field names with arbitrary values reach deep into the readers.
near_values = st.sampled_from(IDS + LANGUAGES + KINDS) | nested
near_nodes = st.dictionaries(
    st.sampled_from(FIELD_NAMES) | keys,
    st.sampled_from(KINDS)
    | near_values
    | st.dictionaries(st.sampled_from(LANGUAGES) | keys, near_values),
    max_size=6,
)
near_documents = st.fixed_dictionaries(
    {},
    optional={
        "start": st.sampled_from(IDS) | nested,
        "languages": st.lists(st.sampled_from(LANGUAGES), max_size=3) | nested,
        "voices": nested,
        "nodes": st.dictionaries(st.sampled_from(IDS) | keys, near_nodes, max_size=5) | nested,
    },
)


def outcome(call: Any) -> ParsedMenu | list[str]:
    """What a call gives: the parsed menu, or the problems; anything else fails the test."""
    try:
        return call()
    except MenuInvalid as error:
        assert error.errors, "MenuInvalid without problems"
        return [str(problem) for problem in error.errors]


@SETTINGS
@given(st.text())
def test_any_text_parses_or_is_invalid(text: str) -> None:
    outcome(lambda: parse_menu(text))


@SETTINGS
@given(yamlish_text)
def test_yaml_like_text_parses_or_is_invalid_and_always_the_same_way(text: str) -> None:
    assert outcome(lambda: parse_menu(text)) == outcome(lambda: parse_menu(text))


@SETTINGS
@given(nested)
def test_any_data_validates_or_is_invalid(data: object) -> None:
    outcome(lambda: validate_document(data))


@SETTINGS
@given(near_documents, st.none() | st.sets(st.sampled_from(["haizhu", "a"])))
def test_near_miss_documents_validate_or_are_invalid(doc: dict, stations: set[str] | None) -> None:
    first = outcome(lambda: validate_document(doc, stations))
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    assert outcome(lambda: parse_menu(text, stations)) == outcome(
        lambda: parse_menu(text, stations)
    )
    assert outcome(lambda: validate_document(doc, stations)) == first


# --- generated sound menus ------------------------------------------------------------------

node_ids = st.from_regex(r"[A-Za-z][A-Za-z0-9_-]{0,12}", fullmatch=True)
# No control characters or line separators: PyYAML does not round-trip some of them (it
# dumps "0\x85" and loads "0 "), which says nothing about the validator.
printable = st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"))
texts = st.text(printable, min_size=1, max_size=30).filter(lambda t: bool(t.strip()))
files = st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,20}", fullmatch=True)
voices = st.sampled_from(["Polly.Amy", "Google.cmn-CN-Standard-A", "alice"])
prompt_entries = (
    texts
    | st.builds(lambda say: {"say": say}, texts)
    | st.builds(lambda play, voice: {"play": play, "voice": voice}, files, voices)
)
TERMINAL = ["voicemail", "hangup", "transfer"]
BRANCHING = ["menu", "language", "message", "hours", "forward"]


@st.composite
def sound_menus(draw: st.DrawFn) -> dict[str, Any]:
    """A menu where every edge but menu options leads further down the list of nodes.

    Following those edges always ends at a voicemail, hangup or transfer, so every node
    can reach an exit and no cycle runs without the caller pressing a key.
    """
    languages = draw(st.lists(st.sampled_from(LANGUAGES), min_size=1, max_size=3, unique=True))
    ids = draw(st.lists(node_ids, min_size=1, max_size=10, unique=True))
    nodes = {}
    for i, node_id in enumerate(ids):
        later = ids[i + 1 :]
        kind = draw(st.sampled_from(TERMINAL + (BRANCHING if later else [])))
        node = {"kind": kind} | draw(_fields(kind, languages, later, ids))
        nodes[node_id] = node
    return {"start": ids[0], "languages": languages, "nodes": nodes}


def _prompts(languages: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({language: prompt_entries for language in languages})


def _fields(kind: str, languages: list[str], later: list[str], ids: list[str]):  # type: ignore[no-untyped-def]
    prompts = _prompts(languages)
    ahead = st.sampled_from(later) if later else st.nothing()
    if kind == "menu":
        keys = st.lists(st.sampled_from(DTMF_KEYS), min_size=1, max_size=5, unique=True)
        option = st.sampled_from(ids) | st.fixed_dictionaries(
            {"next": st.sampled_from(ids)}, optional={"need": st.sampled_from(["food", "a-b_1"])}
        )  # options may lead anywhere, even back: the caller chose to go there
        options = keys.flatmap(lambda ks: st.fixed_dictionaries({_yaml_key(k): option for k in ks}))
        return st.fixed_dictionaries(
            {"prompt": prompts, "options": options, "fallback": ahead},
            optional={
                "repeat": st.integers(0, 5),
                "timeout": st.integers(1, 30),
                "invalid": prompts,
            },
        )
    if kind == "language":
        keys = st.lists(st.sampled_from(DTMF_KEYS), min_size=1, max_size=4, unique=True)
        choices = keys.flatmap(
            lambda ks: st.fixed_dictionaries({_yaml_key(k): st.sampled_from(languages) for k in ks})
        )
        return st.fixed_dictionaries({"prompt": prompts, "choices": choices, "next": ahead})
    if kind == "message":
        return st.fixed_dictionaries({"prompt": prompts, "next": ahead})
    if kind == "hours":
        return st.fixed_dictionaries({"open": ahead, "closed": ahead})
    if kind == "forward":
        return st.fixed_dictionaries({"no_answer": ahead}, optional={"prompt": prompts})
    if kind == "voicemail":
        return st.fixed_dictionaries(
            {"prompt": prompts},
            optional={
                "thanks": prompts,
                "tags": st.lists(st.sampled_from(["food", "medical"]), unique=True),
                "max_length": st.integers(5, 600),
                "priority": st.sampled_from(["urgent", "high", "normal", "low"]),
            },
        )
    if kind == "transfer":
        return st.fixed_dictionaries({"station": st.sampled_from(["haizhu", "baiyun-tongde"])})
    return st.fixed_dictionaries({}, optional={"prompt": prompts})


def _yaml_key(key: str) -> int | str:
    return int(key) if key.isdigit() else key  # written `1:` in YAML, which loads as an int


def _expected_prompt(entry: object) -> Prompt:
    return Prompt(say=entry) if isinstance(entry, str) else Prompt(**entry)  # type: ignore[arg-type]


@SETTINGS
@given(sound_menus())
def test_sound_menus_always_parse(doc: dict[str, Any]) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    menu = parse_menu(text, known_stations={"haizhu", "baiyun-tongde"}).menu
    assert list(menu.nodes) == list(doc["nodes"])
    assert menu.start == doc["start"]
    for node_id, raw in doc["nodes"].items():
        node = menu.nodes[node_id]
        assert node.kind == raw["kind"]
        expected = {lang: _expected_prompt(e) for lang, e in raw.get("prompt", {}).items()}
        assert node.prompt == expected
        if raw["kind"] == "menu":
            assert list(node.options) == [str(key) for key in raw["options"]]


@SETTINGS
@given(sound_menus(), st.data())
def test_removing_a_node_someone_leads_to_is_reported(
    doc: dict[str, Any], data: st.DataObject
) -> None:
    text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
    targets = {to for source, _, to in edges(parse_menu(text).menu) if source != to}
    if not targets:
        return
    removed = data.draw(st.sampled_from(sorted(targets)))
    del doc["nodes"][removed]
    found = outcome(lambda: validate_document(doc))
    assert isinstance(found, list)
    assert any(p.endswith(f"unknown node '{removed}'") for p in found), found
