"""The menu editor and its history pages, through the Flask test client."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import select

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.versions import published_version
from models import AuditLog, MenuStatus, MenuVersion
from tests.conftest import Twilio, fresh
from tests.ivr.voice.helpers import Twiml

GOOD = """start: main
languages: [zh]
nodes:
  main:
    kind: menu
    prompt: {zh: 您好，留言请按1}
    options:
      1: record
    fallback: record
  record:
    kind: voicemail
    prompt: {zh: 请在提示音后留言}
"""
REWORDED = GOOD.replace("您好，留言请按1", "南洲街热线，留言请按1")

# Each bad input from the issue, with the message the editor shows for it and the node.
BAD = {
    "invalid YAML": ("start: main\nlanguages: [zh\nnodes: {}\n", "YAML 语法错误", None),
    "loop with no exit": (
        GOOD.replace("1: record", "1: info")
        .replace("fallback: record", "fallback: main")
        .replace(
            "  record:",
            "  info:\n    kind: message\n    prompt: {zh: 说明}\n    next: main\n  record:",
        ),
        "没有出口的循环",
        "main",
    ),
    "key used twice": (
        GOOD.replace("1: record", "1: record\n      1: main"),
        "键 &#39;1&#39; 重复了",
        "main",
    ),
    "missing prompt": (
        GOOD.replace("languages: [zh]", "languages: [zh, en]"),
        "缺少语言 &#39;en&#39; 的提示语",
        "main",
    ),
    "unknown station": (
        GOOD.replace("1: record", "1: record\n      2: away")
        + "  away:\n    kind: transfer\n    station: atlantis\n",
        "转到的社工站不存在：&#39;atlantis&#39;",
        "away",
    ),
}

EDITOR_DATA = re.compile(r'<script type="application/json" id="editor-data">(.*?)</script>', re.S)
BASE = re.compile(r'name="base_version" value="(\d+)"')
TEXTAREA = re.compile(r'<textarea name="yaml"[^>]*>(.*?)</textarea>', re.S)


def editor(station) -> str:
    return f"/admin/stations/{station.id}/menu"


def history(station) -> str:
    return f"/admin/stations/{station.id}/menu/history"


def page_parts(response) -> tuple[int, str, dict]:
    """The base version, the YAML in the textarea and the tree editor's data of a page."""
    text = response.get_data(as_text=True)
    return (
        int(BASE.search(text).group(1)),
        html.unescape(TEXTAREA.search(text).group(1)),
        json.loads(EDITOR_DATA.search(text).group(1)),
    )


def save(browser, station, text: str, action: str = "draft", base: int = 0, note: str = "", **more):
    """Post the editor's form; a publish comes confirmed, as from the review step."""
    if action == "publish":
        more.setdefault("confirmed", "1")
    return browser.post(
        editor(station), yaml=text, action=action, base_version=str(base), note=note, **more
    )


def versions(db_session, station) -> list[MenuVersion]:
    return list(
        fresh(db_session).scalars(
            select(MenuVersion)
            .where(MenuVersion.station_id == station.id)
            .order_by(MenuVersion.version)
        )
    )


def audits(db_session, action: str) -> list[AuditLog]:
    return list(fresh(db_session).scalars(select(AuditLog).where(AuditLog.action == action)))


def validate(browser, station, **payload):
    token = browser.token("/console/")
    return browser.client.post(
        f"{editor(station)}/validate", json=payload, headers={"X-CSRFToken": token}
    )


def test_a_station_without_versions_edits_the_default_template(admin_world, login):
    station = admin_world["stations"]["a"]
    response = login("admin-a").get(editor(station))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "未保存的默认模板" in page and "默认模板（尚未发布）" in page
    base, text, data = page_parts(response)
    assert base == 0
    assert text == default_menu_yaml(station.languages)
    assert data["errors"] == [] and data["document"]["start"] == "main"
    assert set(data["document"]["nodes"]) >= {"main", "vm_food", "forward_worker"}


def test_save_a_draft_then_publish_it(admin_world, login, db_session):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    response = save(browser, station, GOOD, note="第一稿")
    assert "已保存草稿：第1版" in response.get_data(as_text=True)
    (draft,) = versions(db_session, station)
    assert (draft.version, draft.status, draft.document) == (1, MenuStatus.DRAFT, GOOD)
    assert draft.created_by_id == admin_world["users"]["admin-a"].id and draft.note == "第一稿"
    assert published_version(db_session, station.id) is None

    base, text, _ = page_parts(browser.get(editor(station)))
    assert (base, text) == (1, GOOD)
    assert "草稿 第1版" in browser.get(editor(station)).get_data(as_text=True)

    response = save(browser, station, GOOD, action="publish", base=1)
    assert "已发布第2版" in response.get_data(as_text=True)
    live = published_version(fresh(db_session), station.id)
    assert (live.version, live.document) == (2, GOOD)
    assert "已发布 第2版（线上）" in browser.get(editor(station)).get_data(as_text=True)
    (draft_audit,) = audits(db_session, "menu.draft")
    (publish_audit,) = audits(db_session, "menu.publish")
    assert draft_audit.detail["version"] == 1 and publish_audit.detail["version"] == 2
    assert draft_audit.station_id == station.id == publish_audit.station_id
    assert publish_audit.user_id == admin_world["users"]["admin-a"].id


def test_saving_unchanged_text_stores_nothing(admin_world, login, db_session):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    save(browser, station, GOOD)
    response = save(browser, station, GOOD, base=1)
    assert "内容没有变化" in response.get_data(as_text=True)
    assert [v.version for v in versions(db_session, station)] == [1]
    assert len(audits(db_session, "menu.draft")) == 1


def test_the_tree_view_sends_the_mapping_and_the_server_writes_readable_yaml(
    admin_world, login, db_session
):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    _, _, data = page_parts(browser.get(editor(station)))
    document = data["document"]
    document["nodes"]["main"]["prompt"]["zh"] = "欢迎致电南洲街"
    response = browser.post(
        editor(station),
        document=json.dumps(document),
        yaml="ignored",
        action="draft",
        base_version="0",
    )
    assert response.status_code == 200
    (draft,) = versions(db_session, station)
    assert "zh: 欢迎致电南洲街" in draft.document  # Chinese as itself, not \\u escapes
    assert draft.document.startswith(
        "start: main\nlanguages:\n- zh\nsettings:\n  speech_rate: 85%\n"
    )
    assert "\nnodes:\n  main:\n" in draft.document


def test_a_draft_may_hold_problems(admin_world, login, db_session):
    station = admin_world["stations"]["a"]
    text, message, _ = BAD["unknown station"]
    response = save(login("admin-a"), station, text)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    (draft,) = versions(db_session, station)
    assert draft.status is MenuStatus.DRAFT and draft.document == text


@pytest.mark.parametrize("case", list(BAD))
def test_publishing_a_bad_menu_publishes_nothing(admin_world, login, db_session, case):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    save(browser, station, GOOD, action="publish")
    text, message, node = BAD[case]
    response = save(browser, station, text, action="publish", base=1)
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "没有发布" in page and "线上版本没有改变" in page
    assert message in page
    base, kept, data = page_parts(response)
    assert kept == text  # what the admin typed is still in the editor
    assert base == 1
    if node is not None:
        assert node in {e["node"] for e in data["errors"]}
    assert [v.version for v in versions(db_session, station)] == [1]
    live = published_version(db_session, station.id)
    assert (live.version, live.document) == (1, GOOD)
    assert len(audits(db_session, "menu.publish")) == 1


def test_an_overlong_note_is_refused_next_to_its_field(admin_world, login, db_session):
    station = admin_world["stations"]["a"]
    response = save(login("admin-a"), station, GOOD, note="长" * 501)
    assert response.status_code == 422
    assert "备注不能超过500字" in response.get_data(as_text=True)
    assert page_parts(response)[1] == GOOD
    assert versions(db_session, station) == []


def test_validate_names_node_field_and_line(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    broken = GOOD.replace("1: record", "1: recrod")
    answer = validate(browser, station, yaml=broken).get_json()
    assert answer["ok"] is False
    (error,) = answer["errors"]
    assert error["path"] == "nodes.main.options.1"
    assert (error["node"], error["field"]) == ("main", "options.1")
    assert error["message"] == "没有这个节点：'recrod'"
    assert error["line"] == 8 and broken.splitlines()[7].strip() == "1: recrod"
    assert answer["document"]["nodes"]["main"]["options"] == {"1": "recrod"}

    duplicate = validate(browser, station, yaml=BAD["key used twice"][0]).get_json()
    assert [e["line"] for e in duplicate["errors"]] == [9]
    syntax = validate(browser, station, yaml=BAD["invalid YAML"][0]).get_json()
    assert syntax["errors"][0]["node"] is None and syntax["errors"][0]["line"] == 3
    assert syntax["document"] is None


def test_validate_turns_the_tree_mapping_into_yaml(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    document = validate(browser, station, yaml=GOOD).get_json()["document"]
    document["nodes"]["lost"] = {"kind": "hangup"}
    answer = validate(browser, station, document=document).get_json()
    assert answer["ok"] is True and answer["errors"] == []
    assert "  lost:\n    kind: hangup\n" in answer["yaml"]
    (warning,) = answer["warnings"]
    assert warning["node"] == "lost" and "无法到达" in warning["message"]
    assert warning["line"] == answer["yaml"].splitlines().index("  lost:") + 1


def test_validate_needs_the_csrf_header_and_a_body(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    bare = browser.client.post(f"{editor(station)}/validate", json={"yaml": GOOD})
    assert bare.status_code == 400
    assert validate(browser, station, text=GOOD).status_code == 400
    assert validate(browser, station, document=["not", "a", "mapping"]).status_code == 400


def test_a_stale_save_is_refused_and_overwrites_nothing(
    admin_world, login, second_browser, db_session
):
    station = admin_world["stations"]["a"]
    first = login("admin-a")
    second = second_browser
    assert second.login("haizhu-admin").status_code == 302
    assert page_parts(first.get(editor(station)))[0] == 0
    assert page_parts(second.get(editor(station)))[0] == 0

    save(first, station, GOOD)
    response = save(second, station, REWORDED, base=0)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "有人先保存了更新的版本" in page
    assert "admin-a" in page and "保存了第1版" in page and "默认模板" in page
    assert f"{history(station)}?a=0&amp;b=1" in page
    base, kept, _ = page_parts(response)
    assert kept == REWORDED  # not lost
    (only,) = versions(db_session, station)
    assert only.document == GOOD and only.created_by_id == admin_world["users"]["admin-a"].id
    assert len(audits(db_session, "menu.draft")) == 1

    # Having seen the newer version, saving again on purpose makes this text version 2.
    assert base == 1
    save(second, station, kept, base=base)
    assert [v.document for v in versions(db_session, station)] == [GOOD, REWORDED]


def test_history_lists_versions_and_shows_the_diff(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    save(browser, station, GOOD, action="publish", note="开通")
    save(browser, station, REWORDED, base=1, note="改欢迎语")
    response = browser.get(history(station))
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "第1版" in page and "第2版" in page and "开通" in page and "改欢迎语" in page
    assert page.count("线上") == 1 + page.count("线上版本")  # one badge: version 1
    assert re.search(r'id="version-1" class="live"', page)
    assert "admin-a" in page
    # By default the newest version is compared with the one before it.
    assert "<del>    prompt: {zh: 您好，留言请按1}</del>" in page
    assert "<ins>    prompt: {zh: 南洲街热线，留言请按1}</ins>" in page
    assert "修改的节点" in page and "<code>main</code> (prompt)" in page

    explicit = browser.get(f"{history(station)}?a=0&b=1").get_data(as_text=True)
    assert "默认模板 → 第1版" in explicit and "删除的节点" in explicit
    assert "<code>vm_food</code>" in explicit
    assert browser.get(f"{history(station)}?a=1&b=9").status_code == 404


def test_rollback_publishes_the_old_document_and_calls_hear_it(
    admin_world, login, db_session, client
):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    save(browser, station, GOOD, action="publish")
    save(browser, station, REWORDED, action="publish", base=1)
    twilio = Twilio(client)
    hotline = station.hotline_numbers[0].number

    def heard(sid: str) -> str:
        response = twilio.post(
            "/twilio/voice",
            CallSid=sid,
            From="+8613912345678",
            To=hotline,
            AccountSid="AC" + "0" * 32,
        )
        return Twiml.of(response).text()

    assert "南洲街热线" in heard("CA" + "1" * 32)
    old = versions(db_session, station)[0]
    before = (old.status, old.document, old.published_at, old.note)

    response = browser.post(f"{history(station)}/1/rollback", base_version="2")
    assert "已回滚：第1版的内容已发布为第3版" in response.get_data(as_text=True)
    rows = versions(db_session, station)
    assert [v.version for v in rows] == [1, 2, 3]
    assert (rows[2].status, rows[2].document, rows[2].note) == (
        MenuStatus.PUBLISHED,
        GOOD,
        "回滚到第1版",
    )
    assert (rows[0].status, rows[0].document, rows[0].published_at, rows[0].note) == before
    assert published_version(db_session, station.id).version == 3
    assert "您好，留言请按1" in heard("CA" + "2" * 32)
    (audit,) = audits(db_session, "menu.rollback")
    assert audit.detail == {"version": 3, "from_version": 1}
    assert audit.user_id == admin_world["users"]["admin-a"].id

    live_again = browser.post(f"{history(station)}/3/rollback", base_version="3")
    assert "已经是线上版本" in live_again.get_data(as_text=True)
    stale = browser.post(f"{history(station)}/2/rollback", base_version="2")
    assert "保存了第3版" in stale.get_data(as_text=True)
    assert browser.post(f"{history(station)}/9/rollback", base_version="3").status_code == 404
    assert [v.version for v in versions(db_session, station)] == [1, 2, 3]


@pytest.mark.parametrize("who", ["admin-a", "haizhu-admin"])
def test_another_stations_editor_is_not_found(admin_world, login, db_session, who):
    other = admin_world["stations"]["b"]
    browser = login(who)
    assert browser.get(editor(other)).status_code == 404
    assert browser.get(history(other)).status_code == 404
    assert save(browser, other, GOOD).status_code == 404
    assert validate(browser, other, yaml=GOOD).status_code == 404
    assert browser.post(f"{history(other)}/1/rollback", base_version="0").status_code == 404
    assert versions(db_session, other) == []


def test_workers_may_not_edit_menus(admin_world, login, db_session):
    station = admin_world["stations"]["a"]
    browser = login("worker-a")
    assert browser.get(editor(station)).status_code == 403
    assert browser.get(history(station)).status_code == 403
    assert save(browser, station, GOOD).status_code == 403
    assert validate(browser, station, yaml=GOOD).status_code == 403
    assert browser.post(f"{history(station)}/1/rollback", base_version="0").status_code == 403
    assert versions(db_session, station) == []


def test_the_editor_speaks_english_too(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    save(browser, station, GOOD, action="publish")
    browser.post("/console/language", lang="en", next="/console/")
    page = browser.get(editor(station)).get_data(as_text=True)
    assert "Save draft" in page and "Publish" in page and "Callers now hear" in page
    labels = re.search(r'id="editor-labels">(.*?)</script>', page, re.S).group(1)
    assert json.loads(labels)["addNode"] == "Add node"
    assert "Roll back to this version" not in browser.get(history(station)).get_data(as_text=True)
    assert "Version 1" in browser.get(history(station)).get_data(as_text=True)


def test_publishing_first_shows_the_difference_from_the_live_version(
    admin_world, login, db_session
):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    save(browser, station, GOOD, action="publish")
    review = save(browser, station, REWORDED, "publish", base=1, note="改欢迎语", confirmed="")
    assert review.status_code == 200
    page = review.get_data(as_text=True)
    assert "确认发布" in page and "线上：第1版" in page
    added = re.search(r'<tr class="add">.*?</tr>', page, re.S).group(0)
    removed = re.search(r'<tr class="remove">.*?</tr>', page, re.S).group(0)
    assert "南洲街热线，留言请按1" in added and "您好，留言请按1" in removed
    assert [v.version for v in versions(db_session, station)] == [1]  # nothing stored yet
    # The review carries the text, the base version and the note to the confirmation.
    carried = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page))
    assert html.unescape(carried["yaml"]) == REWORDED
    assert (carried["base_version"], carried["note"]) == ("1", "改欢迎语")
    assert carried["confirmed"] == "1"

    back = browser.post(editor(station), **{**carried, "action": "edit"})
    assert back.status_code == 200 and page_parts(back)[:2] == (1, REWORDED)
    assert [v.version for v in versions(db_session, station)] == [1]

    done = browser.post(editor(station), **{**carried, "action": "publish"})
    assert "已发布第2版" in done.get_data(as_text=True)
    live = published_version(fresh(db_session), station.id)
    assert (live.version, live.document, live.note) == (2, REWORDED, "改欢迎语")


def test_the_review_of_the_live_text_says_callers_would_hear_no_change(
    admin_world, login, db_session
):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    save(browser, station, GOOD, action="publish")
    page = save(browser, station, GOOD, action="publish", base=1, confirmed="").get_data(
        as_text=True
    )
    assert "发布不会改变他们听到的内容" in page and "两个版本的内容完全相同" in page


def test_a_bad_menu_goes_back_to_the_editor_instead_of_the_review(admin_world, login, db_session):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    text = BAD["loop with no exit"][0]
    response = save(browser, station, text, action="publish", confirmed="")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "没有发布" in page and 'id="confirm-publish"' not in page
    assert page_parts(response)[1] == text
    assert versions(db_session, station) == []


def test_after_publishing_a_draft_history_compares_with_the_previous_live_version(
    admin_world, login, db_session
):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    save(browser, station, GOOD, action="publish")  # version 1, live
    save(browser, station, REWORDED, base=1)  # version 2, a draft
    draft_diff = browser.get(history(station)).get_data(as_text=True)
    assert "差异: 第1版 → 第2版" in draft_diff  # a draft against the live version
    save(browser, station, REWORDED, action="publish", base=2)  # version 3: the draft's text
    page = browser.get(history(station)).get_data(as_text=True)
    assert "差异: 第1版 → 第3版" in page
    assert "两个版本的内容完全相同" not in page
    assert "南洲街热线，留言请按1" in re.search(r'<tr class="add">.*?</tr>', page, re.S).group(0)


def test_the_first_publish_is_compared_with_the_default_template(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    save(browser, station, GOOD)  # version 1, a draft
    save(browser, station, GOOD, action="publish", base=1)  # version 2, the same text
    page = browser.get(history(station)).get_data(as_text=True)
    assert "差异: 默认模板 → 第2版" in page and "两个版本的内容完全相同" not in page


def test_validator_messages_follow_the_interface_language(admin_world, login):
    station = admin_world["stations"]["a"]
    browser = login("admin-a")
    broken = GOOD.replace("fallback: record", "fallback: vm_nowhere")
    syntax = BAD["invalid YAML"][0]

    chinese = validate(browser, station, yaml=broken).get_json()["errors"]
    assert [e["message"] for e in chinese] == ["没有这个节点：'vm_nowhere'"]
    (problem,) = validate(browser, station, yaml=syntax).get_json()["errors"]
    assert problem["message"].startswith("YAML 语法错误（第3行，第6列）：")
    page = save(browser, station, broken, action="publish").get_data(as_text=True)
    assert "没有这个节点：&#39;vm_nowhere&#39;" in page and "unknown node" not in page

    browser.post("/console/language", lang="en", next="/console/")
    english = validate(browser, station, yaml=broken).get_json()["errors"]
    assert [e["message"] for e in english] == ["unknown node 'vm_nowhere'"]
    (problem,) = validate(browser, station, yaml=syntax).get_json()["errors"]
    assert problem["message"].startswith("YAML syntax error at line 3, column 6: ")
    assert problem["line"] == 3
    page = save(browser, station, broken, action="publish").get_data(as_text=True)
    assert "unknown node &#39;vm_nowhere&#39;" in page and "没有这个节点" not in page
