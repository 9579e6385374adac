"""Keyword tag rules and SLA times: the page, its refusals, and rules reaching the pipeline."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from ivr.tickets.tags import get_tags
from ivr.voicemails.pipeline import keyword_rules
from models import TagRule
from tests.conftest import fresh
from tests.ivr.admin.test_settings import audits, field_error, station, url
from transcription.tagging import tags_for

RULE = {"action": "add", "tag": "medicine", "language": "zh", "keyword": "胰岛素笔"}


def rules(db_session, station_id: int | None) -> list[tuple[str, str, str, bool]]:  # type: ignore[no-untyped-def]
    mine = TagRule.station_id.is_(None) if station_id is None else TagRule.station_id == station_id
    rows = fresh(db_session).scalars(select(TagRule).where(mine))
    return sorted((r.tag.code, r.language, r.keyword, r.active) for r in rows)


@pytest.fixture
def global_rule(admin_world, db_session):  # type: ignore[no-untyped-def]
    (tag,) = get_tags(db_session, ["policy"])
    rule = TagRule(station_id=None, tag=tag, language="zh", keyword="全市通用词")
    db_session.add(rule)
    db_session.commit()
    return rule


def test_the_page_shows_global_rules_read_only(admin_world, login, global_rule):
    html = login("admin-a").get(url(admin_world, "a", "tags")).get_data(as_text=True)
    assert "全市通用词" in html and "防疫政策" in html
    assert f'name="rule" value="{global_rule.id}"' not in html  # no button acts on it
    assert "救命" in html  # the built-in keywords are listed too
    assert 'name="sla_urgent_minutes" value="60"' in html


def test_a_global_rule_cannot_be_changed_here(admin_world, login, global_rule, db_session):
    browser = login("city")
    for action in ("remove", "deactivate"):
        response = browser.post(
            url(admin_world, "a", "tags"),
            action=action,
            rule=str(global_rule.id),
            settings_version="1",
        )
        assert response.status_code == 404
    assert rules(db_session, None) == [("policy", "zh", "全市通用词", True)]


def test_a_station_rule_tags_that_station_s_transcripts_through_the_pipeline(
    admin_world, login, db_session
):
    browser = login("admin-a")
    page = browser.post(url(admin_world, "a", "tags"), settings_version="1", **RULE)
    assert "已添加关键词“胰岛素笔”" in page.get_data(as_text=True)
    custom = {**RULE, "tag": "custom", "custom_tag": "stairs-help", "keyword": "Stair Lift"}
    browser.post(url(admin_world, "a", "tags"), settings_version="2", **custom)
    a, b = admin_world["stations"]["a"].id, admin_world["stations"]["b"].id
    assert rules(db_session, a) == [
        ("medicine", "zh", "胰岛素笔", True),
        ("stairs-help", "zh", "Stair Lift", True),
    ]
    # What the worker's pipeline reads for each transcript (voicemail_pipeline._tag_ticket).
    said = "我 要 胰岛素笔 还有 stair lift"
    assert {"medicine", "stairs-help"} <= tags_for(said, keyword_rules(db_session, a))
    assert "stairs-help" not in tags_for(said, keyword_rules(db_session, b))

    rule_id = str(
        fresh(db_session).scalar(select(TagRule.id).where(TagRule.keyword == "Stair Lift"))
    )
    browser.post(
        url(admin_world, "a", "tags"), action="deactivate", rule=rule_id, settings_version="3"
    )
    assert "stairs-help" not in tags_for(said, keyword_rules(fresh(db_session), a))
    browser.post(
        url(admin_world, "a", "tags"), action="activate", rule=rule_id, settings_version="4"
    )
    assert "stairs-help" in tags_for(said, keyword_rules(fresh(db_session), a))
    browser.post(url(admin_world, "a", "tags"), action="remove", rule=rule_id, settings_version="5")
    assert rules(db_session, a) == [("medicine", "zh", "胰岛素笔", True)]

    log = audits(db_session, a)
    assert [e.action for e in log] == ["station.tag_rules"] * 5
    assert {e.user_id for e in log} == {admin_world["users"]["admin-a"].id}
    assert log[0].detail["changes"]["tag_rules"] == [[], [["medicine", "zh", "胰岛素笔", True]]]


def test_a_custom_tag_may_be_chinese_in_normal_form(admin_world, login, db_session):
    chinese = {**RULE, "tag": "custom", "custom_tag": " 上下楼  协助 ", "keyword": "爬楼"}
    login("admin-a").post(url(admin_world, "a", "tags"), settings_version="1", **chinese)
    a = admin_world["stations"]["a"].id
    assert rules(db_session, a) == [("上下楼 协助", "zh", "爬楼", True)]
    assert "上下楼 协助" in tags_for("我 不能 爬楼", keyword_rules(db_session, a))


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"tag": ""}, "tag", "请选择标签"),
        ({"tag": "abandoned"}, "tag", "请选择标签"),
        ({"tag": "custom", "custom_tag": "<b>x</b>"}, "custom_tag", "标签只能用文字"),
        ({"tag": "custom", "custom_tag": "长" * 33}, "custom_tag", "标签最多32个字"),
        ({"tag": "custom", "custom_tag": "abandoned"}, "custom_tag", "由系统使用"),
        ({"tag": "food", "custom_tag": "x"}, "custom_tag", "请清空自定义标签"),
        ({"language": "ko"}, "language", "请选择语言"),
        ({"keyword": "   "}, "keyword", "请填写关键词"),
        ({"keyword": "长" * 101}, "keyword", "最多100个字"),
        ({"keyword": "胰岛素笔"}, "keyword", "本站已有这条规则"),
    ],
)
def test_a_bad_rule_is_refused_and_changes_nothing(
    admin_world, login, db_session, form, field, message
):
    browser = login("admin-a")
    browser.post(url(admin_world, "a", "tags"), settings_version="1", **RULE)
    response = browser.post(url(admin_world, "a", "tags"), settings_version="2", **{**RULE, **form})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in field_error(html, field)
    assert rules(db_session, admin_world["stations"]["a"].id) == [
        ("medicine", "zh", "胰岛素笔", True)
    ]
    assert station(db_session, admin_world, "a").settings_version == 2


def test_sla_times_are_saved_and_audited(admin_world, login, db_session):
    response = login("admin-a").post(
        url(admin_world, "a", "tags"),
        action="sla",
        settings_version="1",
        sla_urgent_minutes="30",
        sla_normal_minutes="2880",
    )
    assert "设置已保存" in response.get_data(as_text=True)
    row = station(db_session, admin_world, "a")
    assert (row.sla_urgent_minutes, row.sla_normal_minutes) == (30, 2880)
    (audit,) = audits(db_session, row.id)
    assert audit.action == "station.tag_rules"
    assert audit.detail["changes"] == {
        "sla_urgent_minutes": [60, 30],
        "sla_normal_minutes": [1440, 2880],
    }


@pytest.mark.parametrize(
    ("urgent", "normal", "field", "message"),
    [
        ("0", "1440", "sla_urgent_minutes", "请填写5到1440之间的整数"),
        ("abc", "1440", "sla_urgent_minutes", "请填写5到1440之间的整数"),
        ("-10", "1440", "sla_urgent_minutes", "请填写5到1440之间的整数"),
        ("60", "10081", "sla_normal_minutes", "请填写30到10080之间的整数"),
        ("60", "1.5", "sla_normal_minutes", "请填写30到10080之间的整数"),
        ("60", "", "sla_normal_minutes", "请填写30到10080之间的整数"),
        ("600", "120", "sla_urgent_minutes", "紧急工单的回电时限不能长于一般工单"),
    ],
)
def test_bad_sla_times_are_refused(admin_world, login, db_session, urgent, normal, field, message):
    response = login("admin-a").post(
        url(admin_world, "a", "tags"),
        action="sla",
        settings_version="1",
        sla_urgent_minutes=urgent,
        sla_normal_minutes=normal,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in field_error(html, field)
    assert f'name="sla_urgent_minutes" value="{urgent}"' in html
    row = station(db_session, admin_world, "a")
    assert (row.sla_urgent_minutes, row.sla_normal_minutes, row.settings_version) == (60, 1440, 1)


def test_a_stale_rule_or_sla_save_is_refused(admin_world, login, second_browser, db_session):
    first = login("admin-a")
    second_browser.login("city")
    second_browser.post(url(admin_world, "a", "tags"), settings_version="1", **RULE)
    response = first.post(
        url(admin_world, "a", "tags"), settings_version="1", **{**RULE, "keyword": "血糖仪"}
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "city 于" in html and 'value="血糖仪"' in html
    stale_sla = first.post(
        url(admin_world, "a", "tags"),
        action="sla",
        settings_version="1",
        sla_urgent_minutes="15",
        sla_normal_minutes="600",
    )
    assert stale_sla.status_code == 409 and 'value="15"' in stale_sla.get_data(as_text=True)
    row = station(db_session, admin_world, "a")
    assert row.sla_urgent_minutes == 60 and row.settings_version == 2
    assert rules(db_session, row.id) == [("medicine", "zh", "胰岛素笔", True)]
