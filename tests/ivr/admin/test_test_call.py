"""The test call page, key by key through Flask's test client, on both databases."""

from __future__ import annotations

import html
import json
import re

import pytest
from sqlalchemy import func, select

from ivr.menus import rehearsal as test_call
from ivr.menus.versions import save_version
from models import (
    AuditLog,
    Call,
    CallEvent,
    MenuStatus,
    MenuVersion,
    OnDutyPhone,
    PromptFile,
    Ticket,
    Voicemail,
)
from tests.conftest import Twilio, fresh
from tests.ivr.voice.helpers import Twiml

FORM = re.compile(r'<form[^>]*id="test-call-action".*?</form>', re.S)
HIDDEN = re.compile(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)">')
PHONES = ("+8613800000001", "+8613800000002")

TRANSFER_MENU = """\
start: main
languages: [zh]
nodes:
  main:
    kind: menu
    prompt: {zh: 住在同德街的居民请按9，留言请按1。}
    options: {9: to_tongde, 1: vm}
    fallback: vm
  to_tongde:
    kind: transfer
    prompt: {zh: 正在为您转到同德街社工站。}
    station: baiyun-tongde
  vm:
    kind: voicemail
    prompt: {zh: 请留言。}
"""


class TestCaller:
    """An admin playing a test call: each step posts the state the last page carried."""

    __test__ = False  # not a test class, for pytest

    def __init__(self, browser, station_id: int) -> None:  # type: ignore[no-untyped-def]
        self.browser = browser
        self.url = f"/admin/stations/{station_id}/test-call"
        self.page = ""
        self.status = 0

    def _post(self, form: dict[str, str]) -> TestCaller:
        response = self.browser.client.post(self.url, data=form)
        self.status, self.page = response.status_code, response.get_data(as_text=True)
        return self

    def start(self, version: str = "live", at: str = "2026-03-02T10:00") -> TestCaller:
        token = self.browser.token(self.url)
        return self._post({"csrf_token": token, "event": "start", "version": version, "at": at})

    def state(self) -> dict[str, str]:
        form = FORM.search(self.page)
        assert form, f"no action form in the page (status {self.status})"
        return {name: html.unescape(value) for name, value in HIDDEN.findall(form.group(0))}

    def press(self, key: str) -> TestCaller:
        return self._post({**self.state(), "key": key})

    def do(self, event: str, **changes: str) -> TestCaller:
        return self._post({**self.state(), "event": event, **changes})

    def transcript(self) -> list[dict]:
        match = re.search(r'id="transcript" data-transcript="([^"]*)"', self.page)
        assert match, f"no transcript in the page (status {self.status})"
        shown = json.loads(html.unescape(match.group(1)))
        if FORM.search(self.page):  # what the next step carries is what is shown
            assert json.loads(self.state()["transcript"]) == shown
        return shown

    def heard(self) -> list[dict]:
        return [e for e in self.transcript() if e["type"] == "heard"]

    def nodes(self) -> list[str]:
        return [node for entry in self.heard() for node in entry["nodes"]]

    def last_said(self) -> str:
        return " ".join(s.get("say", "") for s in self.heard()[-1]["speech"])

    def outcome(self) -> dict | None:
        return next((e for e in self.transcript() if e["type"] == "outcome"), None)

    def text(self) -> str:
        return html.unescape(re.sub(r"<[^>]+>", " ", self.page))


def rows(db_session) -> dict[str, int]:  # type: ignore[no-untyped-def]
    fresh(db_session)
    return {
        model.__name__: db_session.scalar(select(func.count()).select_from(model))
        for model in (Call, CallEvent, Voicemail, Ticket, AuditLog, MenuVersion)
    }


@pytest.fixture
def station_a(admin_world, db_session):
    """南洲街 in three languages, with two on-duty phones and the default menu live."""
    station = admin_world["stations"]["a"]
    station.languages = ["zh", "yue", "en"]
    station.name_en = "Nanzhou"
    station.on_duty_phones = [
        OnDutyPhone(number=number, position=i) for i, number in enumerate(PHONES)
    ]
    db_session.commit()
    return station


@pytest.fixture
def caller(login, station_a) -> TestCaller:
    return TestCaller(login("admin-a"), station_a.id)


def test_the_page_offers_versions_and_a_simulated_time(caller, station_a):
    page = caller.browser.get(caller.url).get_data(as_text=True)
    assert 'name="version"' in page and "当前生效（默认模板）" in page
    assert 'type="datetime-local"' in page and "Asia/Shanghai" in page
    assert "拨打测试电话" in page


def test_language_choice_and_a_need_key_end_in_a_tagged_voicemail(caller, db_session):
    before = rows(db_session)
    caller.start()
    assert caller.status == 200
    assert caller.heard()[-1]["nodes"] == ["choose_language"]
    assert "普通话请按1" in caller.last_said() and "For English, press 3" in caller.last_said()
    assert 'data-key="5"' in caller.page and "不按键（超时）" in caller.page

    caller.press("3")
    assert caller.nodes()[-1] == "main" and caller.state()["language"] == "en"
    assert "For food and daily supplies, press 1" in caller.last_said()
    assert {s["language"] for s in caller.heard()[-1]["speech"]} == {"en-US"}

    caller.press("1")
    assert caller.state()["node"] == "vm_food" and caller.state()["need"] == "food"
    assert "进入留言：最长 120 秒；标签：food；优先级：一般" in caller.text()

    caller.do("recorded")
    assert caller.outcome() == {
        "type": "outcome",
        "kind": "voicemail",
        "tags": ["food"],
        "priority": "normal",
    }
    assert "Thank you, we have your message" in caller.last_said()
    assert "以留言结束（标签：food；优先级：一般）" in caller.text()
    assert 'id="test-call-action"' not in caller.page
    kinds = [e["type"] for e in caller.transcript()]
    assert kinds == [
        "heard",
        "pressed",
        "heard",
        "pressed",
        "heard",
        "recorded",
        "heard",
        "outcome",
    ]
    assert rows(db_session) == before  # no call, event, voicemail, ticket or audit row


def test_an_invalid_key_replays_the_menu_after_the_invalid_prompt(caller):
    caller.start().press("1")  # 普通话
    caller.press("9")
    assert caller.heard()[-1]["nodes"] == ["main"]
    said = caller.last_said()
    assert said.startswith("对不起，没有这个选项。") and "需要粮油蔬菜" in said
    assert caller.state()["attempt"] == "1" and caller.state()["node"] == "main"


def test_silence_replays_then_falls_back_to_the_general_voicemail(caller):
    caller.start().press("1")
    caller.do("silence")
    assert caller.state()["attempt"] == "1" and "对不起" not in caller.last_said()
    caller.do("silence")
    assert caller.state()["attempt"] == "2"
    caller.do("silence")
    assert caller.state()["node"] == "vm_general"
    assert "标签：无；优先级：一般" in caller.text()
    assert [e["type"] for e in caller.transcript()].count("silence") == 3


def test_forward_answered_ends_forwarded(caller, station_a):
    caller.start().press("1").press("0")
    assert caller.heard()[-1]["nodes"] == ["worker_hours", "forward_worker"]
    assert f"将呼叫 {PHONES[0]}，来电显示 {station_a.hotline_numbers[0].number}" in caller.text()
    caller.do("answered")
    assert caller.outcome() == {"type": "outcome", "kind": "forwarded", "numbers": [PHONES[0]]}
    assert f"已转接到值班电话 {PHONES[0]}" in caller.text()


def test_forward_without_answer_rings_the_next_phone_then_takes_a_message(caller):
    caller.start().press("1").press("0")
    caller.do("no_answer")
    assert caller.state()["ring"] == "1" and f"将呼叫 {PHONES[1]}" in caller.text()
    caller.do("no_answer")
    assert caller.state()["node"] == "vm_general"
    assert caller.heard()[-1]["nodes"] == ["vm_general"]
    caller.do("recorded")
    assert caller.outcome()["kind"] == "voicemail" and caller.outcome()["tags"] == []


def test_an_hours_node_sends_callers_at_a_closed_time_to_a_voicemail(caller, station_a, db_session):
    station_a.twenty_four_hours = False
    station_a.opening_hours = {"mon": [["09:00", "18:00"]]}
    db_session.commit()
    caller.start(at="2026-03-01T03:00").press("1").press("0")  # a Sunday night
    assert caller.heard()[-1]["nodes"] == ["worker_hours", "closed_notice", "vm_general"]
    assert "现在不是值班时间" in caller.last_said()
    assert caller.state()["node"] == "vm_general"

    caller.start(at="2026-03-02T10:00").press("1").press("0")  # Monday morning: open
    assert caller.heard()[-1]["nodes"] == ["worker_hours", "forward_worker"]


def test_a_transfer_follows_into_the_other_stations_menu_like_the_webhook(
    caller, station_a, admin_world, db_session, client
):
    save_version(db_session, station_a, TRANSFER_MENU, publish=True)
    db_session.commit()

    caller.start().press("9")
    kinds = [e["type"] for e in caller.transcript()]
    assert kinds == ["heard", "pressed", "heard", "transfer", "heard"]
    transfer = caller.transcript()[3]
    assert transfer == {"type": "transfer", "station": "baiyun-tongde", "name": "同德街"}
    station_b = admin_world["stations"]["b"]
    assert caller.state()["menu"] == f"d{station_b.id}"  # 同德街's live menu: the default
    assert "转到 同德街（baiyun-tongde）的菜单" in caller.text()
    caller.press("2")
    assert caller.state()["node"] == "vm_medicine"
    caller.do("recorded")
    assert caller.outcome()["tags"] == ["medicine"] and caller.outcome()["priority"] == "high"
    assert "（转到了 同德街）" in caller.text()

    # The same keys through the signed webhooks visit the same nodes.
    twilio, sid = Twilio(client), "CA" + "7" * 32
    base = {"CallSid": sid, "From": "+8613912345678", "To": station_a.hotline_numbers[0].number}
    first = Twiml.of(twilio.post("/twilio/voice", **base))
    second = Twiml.of(twilio.post(first.action("Gather"), **base, Digits="9"))
    assert second.query("Gather")["m"] == f"d{station_b.id}"
    third = Twiml.of(twilio.post(second.action("Gather"), **base, Digits="2"))
    assert third.query("Record")["n"] == "vm_medicine"
    fresh(db_session)
    call = db_session.scalars(select(Call).where(Call.call_sid == sid)).one()
    webhook_nodes = [e.node for e in sorted(call.events, key=lambda e: e.id) if e.kind == "node"]
    assert webhook_nodes == caller.nodes() == ["main", "to_tongde", "main", "vm_medicine"]
    said = [s["say"] for e in caller.heard()[:3] for s in e["speech"]]
    assert said == first.says() + second.says()


def test_a_played_prompt_is_offered_as_audio_from_its_menu(caller, station_a, db_session):
    menu = TRANSFER_MENU.replace(
        "{zh: 住在同德街的居民请按9，留言请按1。}", "{zh: {play: notice.wav}}"
    )
    db_session.add(
        PromptFile(
            station_id=station_a.id,
            name="notice.wav",
            storage_path="prompts/x.wav",
            size_bytes=10,
            sha256="0" * 64,
            duration_seconds=1.0,
        )
    )
    version = save_version(db_session, station_a, menu, publish=False)
    db_session.commit()
    caller.start(version="draft")
    assert caller.heard()[-1]["speech"] == [{"play": "notice.wav", "menu": f"v{version.id}"}]
    assert f'<audio controls preload="none" src="/prompts/v{version.id}/notice.wav">' in caller.page

    # Without the file in the library, the draft does not pass validation.
    gone = menu.replace("notice.wav", "gone.wav")
    db_session.add(
        MenuVersion(station_id=station_a.id, version=2, status=MenuStatus.DRAFT, document=gone)
    )
    db_session.commit()
    caller.start(version="draft")
    assert caller.status == 400 and "gone.wav" in caller.text()


def test_a_history_version_can_be_test_called(caller, station_a, db_session):
    first = save_version(db_session, station_a, TRANSFER_MENU, publish=True)
    save_version(db_session, station_a, TRANSFER_MENU.replace("按9", "按九"), publish=True)
    db_session.commit()
    page = caller.browser.get(f"{caller.url}?version={first.version}").get_data(as_text=True)
    assert f'<option value="{first.version}" selected>' in page
    caller.start(version=str(first.version))
    assert "按9" in caller.last_said() and caller.state()["origin"] == f"v{first.id}"


def test_a_draft_that_fails_validation_cannot_be_called(caller, station_a, db_session):
    broken = TRANSFER_MENU.replace("fallback: vm", "fallback: vm_missing")
    db_session.add(
        MenuVersion(station_id=station_a.id, version=1, status=MenuStatus.DRAFT, document=broken)
    )
    db_session.commit()
    page = caller.browser.get(caller.url).get_data(as_text=True)
    assert "最新草稿（第1版）" in page and "不能模拟来电" in page
    assert "nodes.main.fallback" in page
    caller.start(version="draft")
    assert caller.status == 400 and "vm_missing" in caller.page
    assert 'id="test-call-action"' not in caller.page


def test_bad_input_is_refused_with_a_message(caller, station_a, admin_world):
    caller.start(at="not a time")
    assert caller.status == 400 and 'id="error-at"' in caller.page
    caller.start(version="99")
    assert caller.status == 400 and 'id="error-version"' in caller.page

    caller.start().press("1")
    caller.do("silence", node="no_such_node")
    assert caller.status == 400 and "no_such_node" in caller.text() and "重新开始" in caller.page

    caller.start().press("1")
    caller.do("recorded")  # main is a menu, not a voicemail
    assert caller.status == 400 and "does not record" in caller.text()

    caller.start().press("1")
    assert caller.press("A").status == 400

    caller.start()
    caller.do("silence", transcript="{not json")
    assert caller.status == 400 and "无法继续这次模拟来电" in caller.text()

    # Another station's menu cannot be slipped in: only transfer targets are followed.
    caller.start()
    caller.do("silence", menu=f"d{admin_world['stations']['b'].id}", node="main")
    assert caller.status == 400 and "not part of this test call" in caller.text()
    caller.start()
    caller.do("silence", origin=f"d{admin_world['stations']['b'].id}")
    assert caller.status == 400 and "not this station" in caller.text()


def test_scoping(login, station_a, admin_world):
    url = f"/admin/stations/{station_a.id}/test-call"
    assert login("admin-b").get(url).status_code == 404
    assert login("worker-a").get(url).status_code == 403
    assert login("haizhu-admin").get(url).status_code == 200
    missing = f"/admin/stations/{station_a.id}/test-call?version=42"
    assert login("admin-a").get(missing).status_code == 404


def test_the_transcript_is_capped_oldest_first():
    entries = [{"type": "pressed", "key": "1", "node": "x" * 100} for _ in range(400)]
    capped = test_call.capped(entries)
    assert capped[0] == {"type": "truncated"} and capped[-1] == entries[-1]
    assert len(test_call.dump_transcript(capped)) <= test_call.MAX_TRANSCRIPT_CHARS + 30
    assert test_call.read_transcript(test_call.dump_transcript(capped)) == capped
    with pytest.raises(test_call.TestCallInvalid):
        test_call.read_transcript('[{"type": "heard", "speech": [{"say": 1}]}]')
