"""The editor's rules without the pages: drafts, publishing, staleness, rollback, locating."""

from __future__ import annotations

import pytest
import yaml

from ivr.menus import drafts
from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.fields import MenuProblem
from ivr.menus.locate import locate, split_path
from ivr.menus.validate import MenuInvalid
from ivr.menus.versions import published_version
from models import MenuStatus, MenuTemplate, PromptFile, Role
from tests import factories

GOOD = """start: main
languages: [zh]
nodes:
  main:
    kind: menu
    prompt: {zh: 留言请按1}
    options:
      1: record
    fallback: record
  record:
    kind: voicemail
    prompt: {zh: 请留言}
"""
OTHER = GOOD.replace("留言请按1", "您好，留言请按1")


@pytest.fixture
def station(db_session):
    return factories.station(db_session, code="haizhu-nanzhou", languages=["zh", "en"])


@pytest.fixture
def admin(db_session, station):
    return factories.user(db_session, "admin-a", Role.STATION_ADMIN, station)


def test_the_editor_opens_the_latest_version_of_any_status(db_session, station, admin):
    empty = drafts.editor_document(db_session, station)
    assert empty.version is None and empty.live is None and empty.base_version == 0
    assert empty.text == default_menu_yaml(["zh", "en"])

    drafts.publish(db_session, station, GOOD, admin, 0)
    drafts.save_draft(db_session, station, OTHER, admin, 1)
    doc = drafts.editor_document(db_session, station)
    assert (doc.text, doc.base_version, doc.version.status) == (OTHER, 2, MenuStatus.DRAFT)
    assert doc.live.version == 1


def test_drafts_keep_the_base_template_and_unchanged_text_is_a_no_op(db_session, station, admin):
    template = MenuTemplate(name="城市默认", version=3, document=GOOD)
    db_session.add(template)
    db_session.flush()
    # As bulk-apply leaves it: the version names the template it was brought in line with.
    first = drafts.save_draft(db_session, station, GOOD, admin, 0).version
    first.template_id = template.id
    db_session.flush()
    saved = drafts.save_draft(db_session, station, OTHER, admin, 1, note="改欢迎语")
    assert saved.created and saved.version.template_id == template.id
    assert saved.version.created_by_id == admin.id and saved.version.note == "改欢迎语"
    again = drafts.save_draft(db_session, station, OTHER, admin, 2)
    assert not again.created and again.version.id == saved.version.id
    assert len(drafts.versions(db_session, station.id)) == 2


def test_a_stale_base_stores_nothing_and_names_the_newer_version(db_session, station, admin):
    drafts.save_draft(db_session, station, GOOD, admin, 0)
    for change in (drafts.save_draft, drafts.publish):
        with pytest.raises(drafts.StaleEdit) as refused:
            change(db_session, station, OTHER, admin, 0)
        assert refused.value.latest.version == 1
        assert refused.value.latest.created_by_id == admin.id
    assert [v.document for v in drafts.versions(db_session, station.id)] == [GOOD]


def test_publishing_validates_with_stations_and_the_prompt_library(db_session, station, admin):
    playing = GOOD.replace("prompt: {zh: 请留言}", "prompt: {zh: {play: notice.wav}}")
    with pytest.raises(MenuInvalid) as refused:
        drafts.publish(db_session, station, playing, admin, 0)
    assert [p.path for p in refused.value.errors] == ["nodes.record.prompt.zh.play"]
    assert drafts.versions(db_session, station.id) == []

    db_session.add(
        PromptFile(
            station_id=station.id,
            name="notice.wav",
            storage_path="x",
            size_bytes=1,
            sha256="0" * 64,
            duration_seconds=1.0,
        )
    )
    db_session.flush()
    assert drafts.publish(db_session, station, playing, admin, 0).version.version == 1

    away = GOOD.replace("1: record", "1: record\n      2: away") + (
        "  away: {kind: transfer, station: atlantis}\n"
    )
    with pytest.raises(MenuInvalid, match="transfer to unknown station 'atlantis'"):
        drafts.publish(db_session, station, away, admin, 1)
    factories.station(db_session, code="atlantis")
    assert drafts.publish(db_session, station, away, admin, 1).version.version == 2


def test_rollback_publishes_a_copy_and_never_touches_the_old_row(db_session, station, admin):
    old = drafts.publish(db_session, station, GOOD, admin, 0).version
    drafts.publish(db_session, station, OTHER, admin, 1)
    db_session.commit()
    copy = drafts.rollback(db_session, station, 1, admin, 2)
    db_session.commit()
    assert (copy.version, copy.document, copy.note) == (3, GOOD, "回滚到第1版")
    assert copy.status is MenuStatus.PUBLISHED and copy.published_at is not None
    assert published_version(db_session, station.id).id == copy.id
    db_session.refresh(old)
    assert (old.version, old.note, old.status) == (1, "", MenuStatus.PUBLISHED)

    with pytest.raises(drafts.AlreadyLive):
        drafts.rollback(db_session, station, 3, admin, 3)
    with pytest.raises(drafts.UnknownVersion):
        drafts.rollback(db_session, station, 7, admin, 3)
    with pytest.raises(drafts.StaleEdit):
        drafts.rollback(db_session, station, 2, admin, 2)
    assert len(drafts.versions(db_session, station.id)) == 3


def test_an_invalid_draft_cannot_be_rolled_back_to(db_session, station, admin):
    drafts.save_draft(db_session, station, "start: [", admin, 0)
    drafts.publish(db_session, station, GOOD, admin, 1)
    with pytest.raises(MenuInvalid):
        drafts.rollback(db_session, station, 1, admin, 2)
    assert len(drafts.versions(db_session, station.id)) == 2


def test_text_of_version_zero_is_the_default_template(db_session, station, admin):
    assert drafts.text_of(db_session, station, 0) == default_menu_yaml(["zh", "en"])
    drafts.save_draft(db_session, station, GOOD, admin, 0)
    assert drafts.text_of(db_session, station, 1) == GOOD
    with pytest.raises(drafts.UnknownVersion):
        drafts.text_of(db_session, station, 2)


def test_problems_are_located_by_node_field_and_line():
    text = GOOD.replace("1: record", "1: recrod").replace("languages: [zh]", "languages:\n- zh")
    problems = [
        MenuProblem("nodes.main.options.1", "unknown node 'recrod'"),
        MenuProblem("nodes.main.options.1.need", "made up: a missing field"),
        MenuProblem("languages.0", "made up"),
        MenuProblem("nodes.record", "made up"),
        MenuProblem("(document)", "YAML syntax error at line 4, column 2: x"),
        MenuProblem("(document)", "the document is empty"),
    ]
    located = locate(text, problems)
    lines = text.splitlines()
    assert lines[8].strip() == "1: recrod" and located[0].line == 9
    assert (located[0].node, located[0].field) == ("main", "options.1")
    assert located[1].line == 9  # the field is missing: its parent's line
    assert located[2].line == 3 and located[2].node is None and located[2].field == "languages.0"
    assert located[3].line == lines.index("  record:") + 1 and located[3].field == ""
    assert located[4].line == 4
    assert located[5].line is None
    assert located[0].as_dict()["message"] == "unknown node 'recrod'"
    assert split_path("nodes") == (None, "nodes")


def test_the_tree_document_is_plain_data_in_document_order():
    document = drafts.tree_document(GOOD + "  when: {kind: hangup, at: 2022-01-02, yes: 1}\n")
    assert list(document) == ["start", "languages", "nodes"]
    assert list(document["nodes"]) == ["main", "record", "when"]
    assert document["nodes"]["main"]["options"] == {"1": "record"}
    assert document["nodes"]["when"]["at"] == "2022-01-02"
    assert document["nodes"]["when"]["true"] == 1  # YAML 1.1 reads `yes` as true
    assert yaml.safe_load(drafts.yaml_text(document))["nodes"]["main"]["prompt"] == {
        "zh": "留言请按1"
    }
    assert "留言请按1" in drafts.yaml_text(document)


@pytest.mark.parametrize(
    "text",
    [
        "start: [",  # not YAML
        "- a list\n",  # not a mapping
        GOOD + "  main: {kind: hangup}\n",  # a repeated key: the tree would keep one
        "nodes:\n  m:\n    options: {1: a, '1': b}\n",  # keys only differing in type
    ],
)
def test_text_the_tree_cannot_hold(text):
    assert drafts.tree_document(text) is None


def as_a_browser_orders_it(value: object) -> object:
    """What JSON.parse then JSON.stringify does to key order: integer keys first, ascending."""
    if isinstance(value, list):
        return [as_a_browser_orders_it(item) for item in value]
    if not isinstance(value, dict):
        return value
    numeric = sorted((k for k in value if k.isdigit()), key=int)
    keys = numeric + [k for k in value if not k.isdigit()]
    return {k: as_a_browser_orders_it(value[k]) for k in keys}


def test_the_default_template_survives_a_trip_through_the_tree_unchanged():
    for languages in (["zh"], ["zh", "yue", "en"]):
        text = default_menu_yaml(languages)
        document = as_a_browser_orders_it(drafts.tree_document(text))
        assert list(document["nodes"]["main"]["options"]) == ["0", "1", "2", "3", "4", "5"]
        assert drafts.yaml_text(document) == text


def test_phone_keys_are_written_in_the_order_callers_hear_them():
    document = {"nodes": {"m": {"kind": "menu", "options": {"0": "a", "#": "b", "2": "c", "x": 1}}}}
    text = drafts.yaml_text(document)
    assert list(yaml.safe_load(text)["nodes"]["m"]["options"]) == ["2", "0", "#", "x"]
    assert document["nodes"]["m"]["options"] == {"0": "a", "#": "b", "2": "c", "x": 1}


@pytest.mark.parametrize(
    ("text", "message"),
    [("a: " + "长" * 70_000, "document too large"), ("a: b\x00", "invalid characters")],
)
def test_a_draft_is_refused_only_for_text_no_menu_could_be(
    db_session, station, admin, text, message
):
    with pytest.raises(MenuInvalid, match=message):
        drafts.save_draft(db_session, station, text, admin, 0)
    assert drafts.versions(db_session, station.id) == []
