"""Correcting a voicemail's transcript on the ticket page: kept beside the machine's text,
aligned to the audio, retagged, on the trail; a stale correction never overwrites."""

from __future__ import annotations

import re

from ivr.tickets.tags import get_tags
from models import Priority, Ticket, TicketEventKind, Transcript, User
from tests.conftest import fresh


def _names(db_session, world) -> None:  # type: ignore[no-untyped-def]
    for username, name in (("worker-a", "张丽"), ("colleague-a", "李明")):
        db_session.get(User, world["users"][username].id).display_name = name
    db_session.commit()


def _tag_food(db_session, ticket: Ticket) -> None:  # type: ignore[no-untyped-def]
    """As transcription would have: the machine heard 米."""
    row = db_session.get(Ticket, ticket.id)
    row.tags = get_tags(db_session, ["food"])
    db_session.commit()


def _correct(browser, ticket: Ticket, text: str, correction: str = "0", **extra: str):  # type: ignore[no-untyped-def]
    voicemail = ticket.voicemails[0]
    return browser.post(
        f"/console/tickets/{ticket.id}/transcript",
        page=f"/console/tickets/{ticket.id}",
        voicemail=str(voicemail.id),
        correction=correction,
        text=text,
        **extra,
    )


def test_a_correction_is_kept_beside_the_machine_text_and_retags_the_ticket(
    world, login, db_session
):
    _names(db_session, world)
    ticket = world["tickets"]["a"]
    _tag_food(db_session, ticket)
    browser = login("worker-a")
    response = _correct(browser, ticket, "我想买药，救命！")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "已保存" in page

    session = fresh(db_session)
    transcript = session.get(Ticket, ticket.id).voicemails[0].transcript
    assert transcript.text == "我想买米<script>x</script>"  # the machine's, untouched
    assert transcript.raw_text == "我 想 买 米"
    correction = transcript.correction
    assert correction.text == "我想买药，救命！"
    assert correction.user_id == world["users"]["worker-a"].id
    # 我 and 想 kept the recogniser's times; the rest is new, within its neighbours.
    assert correction.words[0] == {
        "word": "我",
        "start": 0.1,
        "end": 0.3,
        "conf": 0.95,
        "changed": False,
    }
    assert correction.words[1]["start"] == 0.3 and not correction.words[1]["changed"]
    changed = [w for w in correction.words if w["changed"]]
    assert [w["word"] for w in changed] == ["买", "药，", "救", "命！"]
    assert all(0.5 <= w["start"] <= w["end"] <= 1.0 for w in changed)
    # CER: 我想买米 against 我想买药救命: one substitution and two insertions over 6.
    assert (correction.machine_edits, correction.reference_length) == (3, 6)
    assert correction.metric == "cer"

    row = session.get(Ticket, ticket.id)
    assert sorted(t.code for t in row.tags) == ["medicine", "urgent"]
    assert row.priority == Priority.URGENT
    kinds = [e.kind for e in row.events]
    assert TicketEventKind.TRANSCRIPT_CORRECTED in kinds
    event = next(e for e in row.events if e.kind is TicketEventKind.TRANSCRIPT_CORRECTED)
    assert event.actor_id == world["users"]["worker-a"].id
    assert event.data["correction_id"] == correction.id
    untagged = next(e for e in row.events if e.kind is TicketEventKind.UNTAGGED)
    assert untagged.data == {"tags": ["food"], "because": "transcript"}

    # The page shows the corrected words (with times), the machine's beside it, who and when.
    page = browser.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    box = page[page.index('class="transcript-box"') :]
    corrected = re.search(r'<p class="transcript corrected".*?</p>', box, re.S).group(0)
    assert 'data-start="0.1"' in corrected and ">救</span>" in corrected
    assert 'class="word changed"' in corrected
    machine = re.search(r'<p class="transcript machine".*?</p>', box, re.S).group(0)
    assert "&lt;b&gt;米&lt;/b&gt;" in machine
    assert "张丽 修改于" in box and "字错误率 50%" in box
    trail = page[page.index('id="trail"') :]
    assert re.search(r'e-transcript_corrected".*?张丽.*?修改转写.*?相差 3 处', trail, re.S)
    assert "按修改后的转写" in trail


def test_a_later_correction_replaces_it_and_the_history_keeps_both(world, login, db_session):
    _names(db_session, world)
    ticket = world["tickets"]["a"]
    _correct(login("worker-a"), ticket, "我想买米面")
    first = fresh(db_session).get(Ticket, ticket.id).voicemails[0].transcript.correction.id
    db_session.expire_all()
    _correct(login("colleague-a"), ticket, "我想买米面和油", correction=str(first))
    transcript = fresh(db_session).get(Ticket, ticket.id).voicemails[0].transcript
    assert [c.text for c in transcript.corrections] == ["我想买米面", "我想买米面和油"]
    assert transcript.corrections[0].superseded_at is not None
    assert transcript.correction.user_id == world["users"]["colleague-a"].id
    # Error rates are always the machine's, against the correction in force.
    assert transcript.correction.machine_edits == 3
    page = login("worker-a").get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    history = re.search(r'<details class="correction-history">.*?</details>', page, re.S).group(0)
    assert "修改记录（2 次）" in history
    assert history.index("李明") < history.index("张丽")  # newest first
    assert "我想买米面和油" in history and "当前" in history


def test_a_stale_correction_keeps_its_text_and_saves_nothing(
    world, login, second_browser, db_session
):
    _names(db_session, world)
    ticket = world["tickets"]["a"]
    mine = login("worker-a")
    page = mine.get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    seen = re.search(r'name="seen" value="(\d+)"', page).group(1)
    second_browser.login("colleague-a")
    # A note meanwhile does not make a correction stale; a colleague's correction does.
    second_browser.post(
        f"/console/tickets/{ticket.id}/note", text="已联系", version=str(ticket.version_id)
    )
    _correct(second_browser, ticket, "我想买大米")
    response = _correct(mine, ticket, "我想买米和油", seen=seen)
    assert response.status_code == 409
    page = response.get_data(as_text=True)
    assert "被修改过" in page
    form = re.search(r'<form[^>]*class="correct-form".*?</form>', page, re.S).group(0)
    assert "我想买米和油</textarea>" in form  # what I typed
    assert '<details class="correct-box"' in page and " open>" in page
    changed = page[page.index('id="changed"') : page.index('class="ticket-grid"')]
    assert "修改转写" in changed and "李明" in changed
    transcript = fresh(db_session).get(Ticket, ticket.id).voicemails[0].transcript
    assert [c.text for c in transcript.corrections] == ["我想买大米"]
    # Sent again from the refreshed form, having seen the colleague's, it is saved.
    current = re.search(r'name="correction" value="(\d+)"', form).group(1)
    assert current == str(transcript.correction.id)
    assert _correct(mine, ticket, "我想买米和油", correction=current).status_code == 200
    db_session.expire_all()
    assert fresh(db_session).get(Transcript, transcript.id).correction.text == "我想买米和油"


def test_refused_corrections_say_why_and_keep_the_text(world, login, db_session):
    ticket = world["tickets"]["a"]
    browser = login("worker-a")
    unchanged = _correct(browser, ticket, "我想买米<script>x</script>")
    assert unchanged.status_code == 422 and "转写没有改动" in unchanged.get_data(as_text=True)
    control = _correct(browser, ticket, "我想\x00买米")
    assert control.status_code == 422 and "控制字符" in control.get_data(as_text=True)
    other = world["tickets"]["b"].voicemails[0]
    wrong = browser.post(
        f"/console/tickets/{ticket.id}/transcript",
        voicemail=str(other.id),
        correction="0",
        text="别人的留言",
    )
    assert wrong.status_code == 422 and "这张工单没有这条留言" in wrong.get_data(as_text=True)
    assert fresh(db_session).get(Ticket, ticket.id).voicemails[0].transcript.corrections == []


def test_only_those_who_may_work_the_ticket_may_correct_it(world, login, db_session):
    ticket = world["tickets"]["a"]
    outsider = login("worker-b")
    assert _correct(outsider, ticket, "我想买油").status_code == 404
    page = outsider.get(f"/console/tickets/{world['tickets']['b'].id}").get_data(as_text=True)
    assert 'class="correct-form"' in page  # at their own station they may
    district = login("haizhu-admin")
    assert _correct(district, ticket, "我想买油").status_code == 200
    assert fresh(db_session).get(Ticket, ticket.id).voicemails[0].transcript.correction
