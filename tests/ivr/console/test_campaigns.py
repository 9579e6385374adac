"""Campaign pages: admins build and share lists, workers see and work only their own."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from ivr.stations.users import create_user
from models import (
    Caller,
    CallerVulnerability,
    Campaign,
    CampaignEntry,
    EntryState,
    Role,
    Ticket,
    Vulnerability,
)
from tests.conftest import Twilio, fresh
from tests.ivr.console.conftest import PASSWORD
from tests.ivr.voice.helpers import Twiml

WORKER_PHONE = "+8613711112222"


@pytest.fixture
def outreach(world, db_session):
    """Both of world's residents live where their tickets are; a station admin at 南洲街."""
    for key in ("a", "b"):
        caller = db_session.get(Caller, world["tickets"][key].caller_id)
        caller.home_station_id = world["stations"][key].id
    extra = Caller(
        phone_number="+8613900001111", name="陈婆", home_station_id=world["stations"]["a"].id
    )
    extra.vulnerabilities = [CallerVulnerability(flag=Vulnerability.DIBAO)]
    db_session.add(extra)
    create_user(db_session, "nanzhou-admin", PASSWORD, Role.STATION_ADMIN, "haizhu-nanzhou", None)
    world["users"]["worker-a"].phone = WORKER_PHONE
    db_session.commit()
    return world


def build(login, **form):  # type: ignore[no-untyped-def]
    browser = login("nanzhou-admin")
    return browser, browser.post("/console/campaigns/new", page="/console/campaigns/new", **form)


def the_entry(db_session, name: str) -> CampaignEntry:
    return (
        fresh(db_session)
        .scalars(select(CampaignEntry).join(Caller).where(Caller.name.startswith(name)))
        .one()
    )


def test_a_station_admin_builds_a_list_by_flag_and_assigns_it(outreach, login, db_session):
    worker = outreach["users"]["worker-a"]
    _, page = build(login, name="独居老人电访", flag="lone_elderly", worker=str(worker.id))
    html = page.get_data(as_text=True)
    assert "已建立电访名单：1 人，已分派 1 人" in html
    assert "已联系上 0 / 已拨打 0 / 共 1 人" in html
    entry = the_entry(db_session, "连姐")
    assert entry.assignee_id == worker.id and entry.state is EntryState.PENDING


def test_a_bad_csv_changes_nothing_and_names_the_line(outreach, login, db_session):
    browser = login("nanzhou-admin")
    form = {
        "name": "名单",
        "csv_token": "",
        "csv": (io.BytesIO("phone,name\n13812345678,王伯\n12,李姐\n".encode()), "list.csv"),
    }
    form.pop("csv_token")
    form["csrf_token"] = browser.token("/console/campaigns/new")
    page = browser.client.post(
        "/console/campaigns/new", data=form, content_type="multipart/form-data"
    )
    assert "第 3 行" in page.get_data(as_text=True)
    assert fresh(db_session).scalars(select(Campaign)).all() == []
    assert (
        fresh(db_session).scalar(select(Caller).where(Caller.phone_number == "+8613812345678"))
        is None
    )


def test_workers_see_only_their_own_entries(outreach, login, browser, db_session):
    colleague = outreach["users"]["colleague-a"]
    build(login, name="低保", worker=str(colleague.id))
    entry = the_entry(db_session, "连姐")
    campaign_id = entry.campaign_id
    browser.client.post("/console/logout")
    for name in ("worker-a", "worker-b"):  # not assigned; another station
        login(name)
        assert browser.get(f"/console/campaign-entries/{entry.id}").status_code == 404
        assert browser.get(f"/console/campaigns/{campaign_id}").status_code == 404
        assert "低保" not in browser.get("/console/campaigns").get_data(as_text=True)
        browser.client.post("/console/logout")
    login("colleague-a")
    listing = browser.get(f"/console/campaigns/{campaign_id}").get_data(as_text=True)
    assert "陈婆" in listing and "连姐" in listing
    assert browser.get("/console/campaigns/new").status_code == 404  # workers build none
    browser.client.post("/console/logout")
    login("haizhu-admin")  # the district sees its stations' campaigns
    assert browser.get(f"/console/campaigns/{campaign_id}").status_code == 200


def test_needs_help_from_the_console_opens_a_tagged_ticket(outreach, login, browser, db_session):
    worker = outreach["users"]["worker-a"]
    build(login, name="低保", flag="dibao", worker=str(worker.id))
    entry = the_entry(db_session, "陈婆")
    browser.client.post("/console/logout")
    login("worker-a")
    page = browser.get(f"/console/campaign-entries/{entry.id}").get_data(as_text=True)
    assert "+8613900001111" in page  # my entry: the number in full
    done = browser.post(
        f"/console/campaign-entries/{entry.id}/outcome",
        outcome="needs_help",
        tags="药品，买菜",
        note="药快吃完了",
    )
    assert "已记录：需要帮助" in done.get_data(as_text=True)
    row = the_entry(db_session, "陈婆")
    ticket = fresh(db_session).get(Ticket, row.ticket_id)
    assert row.state is EntryState.NEEDS_HELP
    assert {t.code for t in ticket.tags} == {"medicine", "买菜"}


def test_click_to_call_rings_the_worker_and_no_answer_is_retried(
    outreach, login, browser, fake_api, client, db_session
):
    worker = outreach["users"]["worker-a"]
    build(login, name="独居", flag="lone_elderly", worker=str(worker.id))
    entry = the_entry(db_session, "连姐")
    browser.client.post("/console/logout")
    login("worker-a")
    page = browser.post(f"/console/campaign-entries/{entry.id}/call")
    assert "正在拨打您的电话" in page.get_data(as_text=True)
    again = browser.post(f"/console/campaign-entries/{entry.id}/call")
    assert "正在拨打中" in again.get_data(as_text=True)  # a double click rings once
    [sent] = fake_api.requests
    hotline = outreach["stations"]["a"].hotline_numbers[0].number
    assert sent.form["To"] == WORKER_PHONE and sent.form["From"] == hotline
    twilio = Twilio(client)
    form = {"CallSid": sent.sid, "From": hotline, "To": WORKER_PHONE}
    dial = Twiml.of(twilio.post(sent.form["Url"], **form)).verb("Dial")
    assert [n.text for n in dial.iter("Number")] == [entry.caller.phone_number]
    assert dial.get("callerId") == hotline
    twilio.post(dial.get("action"), **form, DialCallStatus="no-answer")
    twilio.post(dial.get("action"), **form, DialCallStatus="no-answer")  # Twilio retried
    row = the_entry(db_session, "连姐")
    assert row.attempts == 1 and row.state is EntryState.PENDING
    assert row.next_try_at is not None and row.last_outcome.value == "no_answer"
    [attempt] = row.attempts_made
    assert attempt.call_sid == sent.sid and attempt.dial_status == "no-answer"


def test_a_completed_call_waits_for_the_worker_to_say_how_it_went(
    outreach, login, browser, fake_api, client, db_session
):
    worker = outreach["users"]["worker-a"]
    build(login, name="独居", flag="lone_elderly", worker=str(worker.id))
    entry = the_entry(db_session, "连姐")
    browser.client.post("/console/logout")
    login("worker-a")
    browser.post(f"/console/campaign-entries/{entry.id}/call")
    [sent] = fake_api.requests
    twilio = Twilio(client)
    form = {"CallSid": sent.sid, "From": "+862000000000", "To": WORKER_PHONE}
    dial = Twiml.of(twilio.post(sent.form["Url"], **form)).verb("Dial")
    twilio.post(dial.get("action"), **form, DialCallStatus="completed")
    assert the_entry(db_session, "连姐").state is EntryState.PENDING
    browser.post(f"/console/campaign-entries/{entry.id}/outcome", outcome="reached")
    row = the_entry(db_session, "连姐")
    assert row.state is EntryState.REACHED and row.attempts == 1
    [attempt] = row.attempts_made  # the call's attempt, filled in: not a second one
    assert attempt.outcome.value == "reached" and attempt.dial_status == "completed"


def test_twilio_refusing_the_call_is_a_message_and_recorded(
    outreach, login, browser, fake_api, db_session
):
    fake_api.fail("Calls", 429, 20429, "Too Many Requests")
    build(login, name="独居", flag="lone_elderly", worker=str(outreach["users"]["worker-a"].id))
    entry = the_entry(db_session, "连姐")
    browser.client.post("/console/logout")
    login("worker-a")
    page = browser.post(f"/console/campaign-entries/{entry.id}/call")
    assert "Twilio 拒绝了拨打请求" in page.get_data(as_text=True)
    [attempt] = the_entry(db_session, "连姐").attempts_made
    assert attempt.dial_status == "rest-error" and "Too Many Requests" in attempt.note
    assert the_entry(db_session, "连姐").attempts == 0


def test_the_pages_read_in_english(outreach, login, browser, db_session):
    worker = outreach["users"]["worker-a"]
    build(login, name="独居", flag="lone_elderly", worker=str(worker.id))
    browser.post("/console/language", lang="en", next="/console/campaigns")
    listing = browser.get("/console/campaigns").get_data(as_text=True)
    assert "Reached 0 / attempted 0 / total 1" in listing and "New call list" in listing
    entry = the_entry(db_session, "连姐")
    browser.client.post("/console/logout")
    login("worker-a")
    browser.post("/console/language", lang="en", next="/console/")
    page = browser.get(f"/console/campaign-entries/{entry.id}").get_data(as_text=True)
    assert "Call (from the station" in page and "Needs help (opens a ticket)" in page
