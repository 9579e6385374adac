"""The demo as a worker first sees it: a voicemail that plays, words that light up and seek."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from models import Station, Ticket, Voicemail
from tests.conftest import CliRunner, fresh

pytestmark = pytest.mark.browser
PASSWORD = "hotline-demo"


@pytest.fixture
def demo(app, db_session):
    result = CliRunner(app).invoke("demo", "--days", "1", "--audio-elsewhere", "3")
    assert result.exit_code == 0, result.output
    assert "voicemails given synthesised Mandarin speech" in result.output
    return result.output


def test_a_demo_voicemail_plays_and_its_words_light_up_and_seek(
    demo, live_server, page, db_session, shots
):
    nanzhou = db_session.scalar(select(Station).where(Station.code == "haizhu-nanzhou"))
    voicemail = (
        fresh(db_session)
        .scalars(
            select(Voicemail)
            .join(Ticket, Ticket.id == Voicemail.ticket_id)
            .where(Ticket.station_id == nanzhou.id, Voicemail.storage_path.is_not(None))
            .order_by(Voicemail.created_at.desc())
        )
        .first()
    )
    assert voicemail is not None and voicemail.transcript is not None

    page.goto(f"{live_server}/console/")
    page.fill("input[name=username]", "nanzhou-worker")
    page.fill("input[name=password]", PASSWORD)
    page.click("form.card button[type=submit]")
    page.wait_for_url(f"{live_server}/console/")
    shots(page, "queue")

    page.goto(f"{live_server}/console/tickets/{voicemail.ticket_id}")
    section = f"#voicemail-{voicemail.id}"
    audio = f"document.querySelector('{section} audio')"
    answer = page.request.get(f"{live_server}/console/voicemails/{voicemail.id}/audio")
    assert answer.status == 200 and answer.headers["content-type"].startswith("audio/")
    assert answer.body()[:4] == b"RIFF"

    # Play: the word being spoken lights up, and it is the word whose time has come.
    page.evaluate(f"{audio}.play()")
    page.wait_for_selector(f"{section} .word.playing", timeout=15000)
    shots(page, "playing")
    lit = page.evaluate(
        f"""() => {{
            const t = {audio}.currentTime;
            const w = document.querySelector('{section} .word.playing');
            return [t, parseFloat(w.dataset.start), parseFloat(w.dataset.end)];
        }}"""
    )
    assert lit[1] - 0.3 <= lit[0] <= lit[2] + 0.3
    page.evaluate(f"{audio}.pause()")

    # Click a word in the second phrase: the player seeks to its start.
    words = voicemail.transcript.words
    target = next(i for i, w in enumerate(words) if w["start"] > 2.0 and w["word"].isalnum())
    page.locator(f"{section} .word").nth(target).click()
    page.evaluate(f"{audio}.pause()")
    seeked = page.evaluate(f"{audio}.currentTime")
    assert words[target]["start"] - 0.05 <= seeked <= words[target]["start"] + 0.6
    page.wait_for_selector(f"{section} .word.playing")
    assert page.locator(f"{section} .word.playing").first.inner_text() in {
        w["word"] for w in words[target : target + 3]
    }
    shots(page, "seeked")
    duration = page.evaluate(f"{audio}.duration")
    assert duration == pytest.approx(voicemail.transcript.audio_seconds, abs=0.05)
