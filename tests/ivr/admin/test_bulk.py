"""Many stations at once: notices and templates applied by district and city admins."""

from __future__ import annotations

import html

import pytest
import yaml
from sqlalchemy import func, select

from ivr.menus.default_menu import default_menu, default_menu_yaml
from ivr.menus.versions import save_version
from models import AuditLog, MenuStatus, MenuTemplate, MenuVersion
from tests.conftest import fresh
from tests.ivr.voice.helpers import Twiml

NOTICE = "即日起本区核酸检测点调整，详情请留言。"
OWN_PROMPT = "南洲街自己的菜单：买菜请按1，买药请按2。"


def _versions(session, station) -> list[MenuVersion]:
    return list(
        fresh(session).scalars(
            select(MenuVersion)
            .where(MenuVersion.station_id == station.id)
            .order_by(MenuVersion.version)
        )
    )


def _latest_document(session, station) -> dict:
    return yaml.safe_load(_versions(session, station)[-1].document)


def _notice(browser, stations, step="apply", **fields):
    form = {
        "what": "notice",
        "node_id": "policy_notice",
        "prompt_zh": NOTICE,
        "placement": "after_language",
        "publish": "1",
        "station": [str(s.id) for s in stations],
        "step": step,
        **fields,
    }
    return browser.post("/admin/bulk", **form)


def _row(page: str, code: str) -> str:
    """The report's table row of one station."""
    start = page.index(f'data-station="{code}"')
    return page[start : page.index("</tr>", start)]


def _ring(twilio, station) -> Twiml:
    number = station.hotline_numbers[0].number
    params = {"CallSid": "CA" + "7" * 32, "From": "+8613912340000", "To": number}
    return Twiml.of(twilio.post("/twilio/voice", AccountSid="AC" + "0" * 32, **params))


def _own_menu(session, station, languages=("zh",)) -> None:
    """The station re-worded its main menu's Mandarin prompt and published it."""
    document = default_menu(list(languages))
    document["nodes"]["main"]["prompt"]["zh"] = OWN_PROMPT
    save_version(session, station, yaml.safe_dump(document, allow_unicode=True), publish=True)
    session.commit()


def _template(session, name: str, document: dict) -> MenuTemplate:
    row = MenuTemplate(
        name=name, version=1, document=yaml.safe_dump(document, allow_unicode=True, sort_keys=False)
    )
    session.add(row)
    session.commit()
    return row


def test_a_notice_is_previewed_then_published_and_callers_hear_it(
    admin_world, login, db_session, twilio
):
    a, a2, b = (admin_world["stations"][k] for k in ("a", "a2", "b"))
    browser = login("haizhu-admin")
    assert NOTICE not in " ".join(_ring(twilio, a).says())

    preview = _notice(browser, [a, a2], step="preview")
    page = preview.get_data(as_text=True)
    assert preview.status_code == 200
    assert "将更新" in _row(page, a.code) and "将更新" in _row(page, a2.code)
    assert 'name="step" value="apply"' in page
    assert _versions(db_session, a) == [] and _versions(db_session, a2) == []

    report = _notice(browser, [a, a2])
    page = report.get_data(as_text=True)
    assert report.status_code == 200
    assert "已更新" in _row(page, a.code) and "v1" in _row(page, a2.code)
    for station in (a, a2):
        (version,) = _versions(db_session, station)
        assert version.status is MenuStatus.PUBLISHED and version.created_by_id is not None
        assert version.note == "bulk: notice policy_notice"
        document = yaml.safe_load(version.document)
        # A one-language menu has no language choice: the notice comes first.
        assert document["start"] == "policy_notice"
        assert document["nodes"]["policy_notice"] == {
            "kind": "message",
            "prompt": {"zh": NOTICE},
            "next": "main",
        }
    assert _versions(db_session, b) == []

    says = _ring(twilio, a).says()
    assert says[0] == NOTICE and "需要粮油蔬菜" in says[1]


def test_the_notice_goes_after_the_language_choice_and_is_replaced_in_place(
    admin_world, login, db_session, twilio
):
    a = admin_world["stations"]["a"]
    a.languages = ["zh", "yue"]
    db_session.commit()
    browser = login("haizhu-admin")
    _notice(browser, [a], prompt_yue="粵語通知")
    document = _latest_document(db_session, a)
    assert document["start"] == "choose_language"
    assert document["nodes"]["choose_language"]["next"] == "policy_notice"
    assert document["nodes"]["policy_notice"]["next"] == "main"
    assert list(document["nodes"])[:3] == ["choose_language", "policy_notice", "main"]

    first = _ring(twilio, a)
    chose_cantonese = Twiml.of(
        twilio.post(
            first.action("Gather"),
            CallSid="CA" + "7" * 32,
            From="+8613912340000",
            To=a.hotline_numbers[0].number,
            AccountSid="AC" + "0" * 32,
            Digits="2",
        )
    )
    assert chose_cantonese.says()[0] == "粵語通知"

    # Next week's wording: same node id, new text, "start" asked for: it stays where it is.
    page = _notice(
        browser, [a], prompt_zh="新的通知", prompt_yue="新通知", placement="start"
    ).get_data(as_text=True)
    assert "更新了通知内容" in _row(page, a.code)
    document = _latest_document(db_session, a)
    assert document["start"] == "choose_language"
    assert document["nodes"]["policy_notice"]["prompt"] == {"zh": "新的通知", "yue": "新通知"}
    assert [v.version for v in _versions(db_session, a)] == [1, 2]

    # The same again changes nothing and stores nothing.
    page = _notice(browser, [a], prompt_zh="新的通知", prompt_yue="新通知").get_data(as_text=True)
    assert "无变化" in _row(page, a.code)
    assert len(_versions(db_session, a)) == 2

    # Withdrawn: the language choice leads straight to the main menu again.
    page = browser.post(
        "/admin/bulk",
        what="withdraw",
        node_id="policy_notice",
        publish="1",
        station=[str(a.id)],
        step="apply",
    ).get_data(as_text=True)
    assert "撤下了通知" in _row(page, a.code)
    document = _latest_document(db_session, a)
    assert "policy_notice" not in document["nodes"]
    assert document["nodes"]["choose_language"]["next"] == "main"


def test_a_station_lacking_a_translation_fails_unchanged_while_others_succeed(
    admin_world, login, db_session
):
    a, a2 = admin_world["stations"]["a"], admin_world["stations"]["a2"]
    a2.languages = ["zh", "yue"]
    db_session.commit()
    page = _notice(login("haizhu-admin"), [a, a2]).get_data(as_text=True)
    assert "已更新" in _row(page, a.code)
    failed = _row(page, a2.code)
    assert "失败" in failed and "缺少语言 &#39;yue&#39; 的提示语" in failed
    assert "已更新 <strong>1</strong>" in page and "失败 <strong>1</strong>" in page
    assert len(_versions(db_session, a)) == 1 and _versions(db_session, a2) == []
    audited = fresh(db_session).scalars(select(AuditLog.station_id)).all()
    assert audited == [a.id]


def test_a_station_keeps_its_own_change_when_a_template_is_applied(admin_world, login, db_session):
    a, a2 = admin_world["stations"]["a"], admin_world["stations"]["a2"]
    _own_menu(db_session, a)
    new = default_menu(["zh", "yue", "en"])
    new["nodes"]["medical_notice"]["prompt"]["zh"] = "情况危急请立即拨打120。"
    new["nodes"]["main"]["prompt"]["zh"] = "模板的新菜单提示。"
    template = _template(db_session, "2022年5月版", new)

    browser = login("city")
    form = {"what": "template", "template": str(template.id), "publish": "0"}
    stations = [str(a.id), str(a2.id)]
    page = browser.post("/admin/bulk", step="apply", station=stations, **form)
    page = page.get_data(as_text=True)

    assert "nodes.main.prompt.zh" in _row(page, a.code)
    assert "模板也改了这里" in _row(page, a.code)
    ours = _versions(db_session, a)[-1]
    assert ours.version == 2 and ours.status is MenuStatus.DRAFT
    assert ours.template_id == template.id
    document = yaml.safe_load(ours.document)
    assert document["languages"] == ["zh"]
    assert document["nodes"]["main"]["prompt"] == {"zh": OWN_PROMPT}
    assert document["nodes"]["medical_notice"]["prompt"] == {"zh": "情况危急请立即拨打120。"}
    theirs = yaml.safe_load(_versions(db_session, a2)[-1].document)
    assert theirs["nodes"]["main"]["prompt"] == {"zh": "模板的新菜单提示。"}


def test_the_next_template_version_merges_from_the_one_a_station_took(
    admin_world, login, db_session
):
    a = admin_world["stations"]["a"]
    first = default_menu(["zh"])
    first["nodes"]["closed_notice"]["prompt"]["zh"] = "第一版：现在不是值班时间。"
    first_row = _template(db_session, "值班", first)
    browser = login("haizhu-admin")
    form = {"what": "template", "publish": "1", "station": [str(a.id)], "step": "apply"}
    browser.post("/admin/bulk", template=str(first_row.id), **form)

    second = default_menu(["zh"])
    second["nodes"]["closed_notice"]["prompt"]["zh"] = "第二版：值班社工下班了。"
    second_row = MenuTemplate(
        name="值班", version=2, document=yaml.safe_dump(second, allow_unicode=True)
    )
    db_session.add(second_row)
    db_session.commit()
    page = browser.post("/admin/bulk", template=str(second_row.id), **form)
    # Merged from the first version, not the built-in default: no override of the station's.
    assert "nodes.closed_notice" not in _row(page.get_data(as_text=True), a.code)
    latest = _versions(db_session, a)[-1]
    assert latest.template_id == second_row.id
    prompt = yaml.safe_load(latest.document)["nodes"]["closed_notice"]["prompt"]
    assert prompt == {"zh": "第二版：值班社工下班了。"}


def test_an_override_pointing_at_a_node_the_template_removed_fails_that_station(
    admin_world, login, db_session
):
    a, a2 = admin_world["stations"]["a"], admin_world["stations"]["a2"]
    own = default_menu(["zh"])
    own["nodes"]["main"]["options"]["5"] = {"next": "vm_policy", "need": "quarantine"}
    save_version(db_session, a, yaml.safe_dump(own, allow_unicode=True), publish=True)
    db_session.commit()
    without_policy = default_menu(["zh"])
    del without_policy["nodes"]["main"]["options"]["5"]
    del without_policy["nodes"]["vm_policy"]
    template = _template(db_session, "不再提供政策咨询", without_policy)

    page = login("haizhu-admin").post(
        "/admin/bulk",
        what="template",
        template=str(template.id),
        publish="1",
        station=[str(a.id), str(a2.id)],
        step="apply",
    )
    page = page.get_data(as_text=True)
    failed = _row(page, a.code)
    assert "失败" in failed and "没有这个节点：&#39;vm_policy&#39;" in failed
    assert [v.version for v in _versions(db_session, a)] == [1]
    assert "vm_policy" not in _latest_document(db_session, a2)["nodes"]


def test_a_district_admin_cannot_touch_another_districts_station(admin_world, login, db_session):
    a, b = admin_world["stations"]["a"], admin_world["stations"]["b"]
    browser = login("haizhu-admin")
    form_page = browser.get("/admin/bulk").get_data(as_text=True)
    assert "南洲街" in form_page and "凤阳街" in form_page and "同德街" not in form_page

    response = browser.post(
        "/admin/bulk",
        what="notice",
        node_id="policy_notice",
        prompt_zh=NOTICE,
        placement="start",
        publish="1",
        station=[str(a.id), str(b.id), "x1", "9" * 5000, "\u0661"],  # ١: an Arabic-Indic 1
        step="apply",
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "已更新" in _row(page, a.code)
    refused = _row(page, f"#{b.id}")
    assert "没有这个站点" in refused and "同德街" not in page
    for crafted in ("#x1", "#" + "9" * 20, "#\u0661"):
        assert "没有这个站点" in _row(page, crafted)
    assert _versions(db_session, b) == []
    assert (
        fresh(db_session).scalar(
            select(func.count()).select_from(AuditLog).where(AuditLog.station_id == b.id)
        )
        == 0
    )


def test_a_city_admin_sees_every_district(admin_world, login):
    page = login("city").get("/admin/bulk").get_data(as_text=True)
    assert "海珠区" in page and "白云区" in page and "同德街" in page


@pytest.mark.parametrize("username", ["admin-a", "worker-a"])
def test_station_admins_and_workers_are_refused(admin_world, login, db_session, username):
    a = admin_world["stations"]["a"]
    browser = login(username)
    assert browser.get("/admin/bulk").status_code == 403
    assert browser.get("/admin/bulk/templates").status_code == 403
    assert _notice(browser, [a]).status_code == 403
    saved = browser.post("/admin/bulk/templates", name="x", document=default_menu_yaml(["zh"]))
    assert saved.status_code == 403
    assert _versions(db_session, a) == []
    assert fresh(db_session).scalars(select(MenuTemplate)).all() == []


def test_each_updated_station_is_audited(admin_world, login, db_session):
    a, a2 = admin_world["stations"]["a"], admin_world["stations"]["a2"]
    _notice(login("haizhu-admin"), [a, a2])
    rows = fresh(db_session).scalars(select(AuditLog).order_by(AuditLog.station_id)).all()
    assert [(r.action, r.station_id) for r in rows] == sorted(
        [("menu.bulk_notice", a.id), ("menu.bulk_notice", a2.id)], key=lambda r: r[1]
    )
    admin = admin_world["users"]["haizhu-admin"]
    assert all(r.user_id == admin.id for r in rows)
    assert rows[0].detail["node"] == "policy_notice" and rows[0].detail["version"] == 1
    assert rows[0].detail["published"] is True


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"station": []}, "请至少选择一个站点"),
        ({"node_id": "1 bad id"}, "节点编号须以字母开头"),
        ({"prompt_zh": "   "}, "内容不能只有空格"),
        ({"prompt_zh": ""}, "请至少填写一种语言的通知内容"),
        ({"placement": "middle"}, "请选择通知的位置"),
        ({"what": "everything"}, "请选择要做的更改"),
        ({"what": "template", "template": "999"}, "没有这个模板"),
    ],
)
def test_bad_choices_are_explained_and_change_nothing(
    admin_world, login, db_session, fields, message
):
    a = admin_world["stations"]["a"]
    response = _notice(login("haizhu-admin"), [a], **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page and 'class="field-error"' in page
    if "prompt_zh" in fields or "node_id" in fields:  # what was typed is kept
        assert html.escape(fields.get("node_id", "policy_notice")) in page
    assert _versions(db_session, a) == []


def test_drafts_are_saved_but_callers_hear_the_published_menu(
    admin_world, login, db_session, twilio
):
    a = admin_world["stations"]["a"]
    _notice(login("haizhu-admin"), [a], publish="0")
    (version,) = _versions(db_session, a)
    assert version.status is MenuStatus.DRAFT and version.published_at is None
    assert NOTICE not in " ".join(_ring(twilio, a).says())


def test_a_template_version_is_saved_from_yaml_with_problems_shown(admin_world, login, db_session):
    browser = login("haizhu-admin")
    page = browser.get("/admin/bulk/templates").get_data(as_text=True)
    assert "choose_language" in page  # the built-in default, to start from

    bad = default_menu_yaml(["zh"]).replace("fallback: vm_general", "fallback: vm_nowhere")
    response = browser.post("/admin/bulk/templates", name="城市模板", document=bad)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "nodes.main.fallback: 没有这个节点：&#39;vm_nowhere&#39;" in page
    assert "vm_nowhere" in page and "城市模板" in page  # what was typed is kept
    assert fresh(db_session).scalars(select(MenuTemplate)).all() == []

    missing_name = browser.post("/admin/bulk/templates", name=" ", document=bad)
    assert missing_name.status_code == 400 and "请填写模板名称" in missing_name.get_data(True)

    good = default_menu_yaml(["zh"])
    for _ in range(2):
        assert (
            browser.post("/admin/bulk/templates", name="城市模板", document=good).status_code == 200
        )
    rows = fresh(db_session).scalars(select(MenuTemplate).order_by(MenuTemplate.version)).all()
    assert [(r.name, r.version) for r in rows] == [("城市模板", 1), ("城市模板", 2)]
    audited = db_session.scalars(select(AuditLog).where(AuditLog.action == "menu_template.save"))
    assert [row.object_id for row in audited] == [str(rows[0].id), str(rows[1].id)]

    form = browser.get("/admin/bulk").get_data(as_text=True)
    assert f'value="{rows[1].id}"' in form and "城市模板 v2" in form


def test_the_pages_read_in_english_too(admin_world, login):
    a = admin_world["stations"]["a"]
    browser = login("haizhu-admin")
    browser.post("/console/language", lang="en", next="/admin/bulk")
    form = browser.get("/admin/bulk").get_data(as_text=True)
    assert "Select the whole district" in form and "全选本区" not in form
    page = _notice(browser, [a], step="preview").get_data(as_text=True)
    assert "Would update" in _row(page, a.code) and "Please confirm" in page
    templates = browser.get("/admin/bulk/templates").get_data(as_text=True)
    assert "Save a new template or version" in templates


def test_work_starts_from_the_latest_draft_and_a_broken_one_fails_alone(
    admin_world, login, db_session
):
    a, a2 = admin_world["stations"]["a"], admin_world["stations"]["a2"]
    _own_menu(db_session, a2)
    draft = default_menu(["zh"])
    draft["nodes"]["vm_food"]["max_length"] = 300
    save_version(db_session, a2, yaml.safe_dump(draft, allow_unicode=True), publish=False)
    db_session.add(
        MenuVersion(station_id=a.id, version=1, status=MenuStatus.DRAFT, document="- [not a menu")
    )
    db_session.commit()

    page = _notice(login("haizhu-admin"), [a, a2], step="preview").get_data(as_text=True)
    assert "基于本站未发布的草稿" in _row(page, a2.code)
    assert "现在的菜单无法作为菜单文档读取" in _row(page, a.code)

    page = _notice(login("haizhu-admin"), [a, a2]).get_data(as_text=True)
    assert "失败" in _row(page, a.code) and "v3" in _row(page, a2.code)
    assert [v.version for v in _versions(db_session, a)] == [1]
    document = _latest_document(db_session, a2)
    assert document["nodes"]["vm_food"]["max_length"] == 300  # the draft's change, published
    assert document["nodes"]["policy_notice"]["prompt"] == {"zh": NOTICE}


def test_a_station_edit_between_templates_keeps_the_template_as_its_base(
    admin_world, login, db_session
):
    a = admin_world["stations"]["a"]
    first = default_menu(["zh"])
    first["nodes"]["closed_notice"]["prompt"]["zh"] = "第一版：现在不是值班时间。"
    first_row = _template(db_session, "值班", first)
    browser = login("haizhu-admin")
    form = {"what": "template", "publish": "1", "station": [str(a.id)], "step": "apply"}
    browser.post("/admin/bulk", template=str(first_row.id), **form)
    # The station re-words its main menu through the ordinary save (editor, CLI, demo).
    own = yaml.safe_load(_versions(db_session, a)[-1].document)
    own["nodes"]["main"]["prompt"]["zh"] = OWN_PROMPT
    saved = save_version(db_session, a, yaml.safe_dump(own, allow_unicode=True), publish=True)
    db_session.commit()
    assert saved.template_id == first_row.id

    second = default_menu(["zh"])
    second["nodes"]["closed_notice"]["prompt"]["zh"] = "第二版：值班社工下班了。"
    second_row = MenuTemplate(
        name="值班", version=2, document=yaml.safe_dump(second, allow_unicode=True)
    )
    db_session.add(second_row)
    db_session.commit()
    browser.post("/admin/bulk", template=str(second_row.id), **form)
    merged = yaml.safe_load(_versions(db_session, a)[-1].document)["nodes"]
    assert merged["main"]["prompt"]["zh"] == OWN_PROMPT  # the station's change survives
    assert merged["closed_notice"]["prompt"]["zh"] == "第二版：值班社工下班了。"


def test_the_form_offers_drafts_by_default(admin_world, login):
    page = login("haizhu-admin").get("/admin/bulk").get_data(as_text=True)
    assert '<input type="radio" name="publish" value="0" checked>' in page
    assert 'value="1" checked' not in page


def test_a_run_in_which_every_station_fails_cannot_be_confirmed(admin_world, login, db_session):
    a, a2 = admin_world["stations"]["a"], admin_world["stations"]["a2"]
    a.languages = a2.languages = ["zh", "yue"]  # the notice has no Cantonese text
    db_session.commit()
    browser = login("haizhu-admin")
    preview = _notice(browser, [a, a2], step="preview").get_data(as_text=True)
    assert "失败 <strong>2</strong>" in preview
    assert "每个站点都会失败" in preview and 'value="apply"' not in preview
    refused = _notice(browser, [a, a2])  # posted anyway: the server refuses too
    assert refused.status_code == 422
    assert "每个站点都会失败，没有执行" in refused.get_data(as_text=True)
    assert _versions(db_session, a) == [] and _versions(db_session, a2) == []
    assert fresh(db_session).scalars(select(AuditLog)).all() == []
