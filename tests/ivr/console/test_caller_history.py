"""Caller history speaks the interface language: outcomes and states, not enum values."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Call, CallDirection, CallOutcome, Voicemail, VoicemailState, utcnow

RAW_VALUES = ("abandoned", "answered", "voicemail", "in_progress", "failed", "no_audio")


@pytest.fixture
def history(world, db_session):  # type: ignore[no-untyped-def]
    """Resident A: an abandoned call, a voicemail, a call-back answered, a failed voicemail."""
    ticket = world["tickets"]["a"]
    station_id, caller_id = ticket.station_id, ticket.caller_id
    now = utcnow()
    for n, (direction, outcome, seconds) in enumerate(
        [
            (CallDirection.INBOUND, CallOutcome.ABANDONED, 12),
            (CallDirection.INBOUND, CallOutcome.VOICEMAIL, 65),
            (CallDirection.CALLBACK, CallOutcome.ANSWERED, 240),
        ]
    ):
        db_session.add(
            Call(
                call_sid=f"CA{n:032d}",
                direction=direction,
                station_id=station_id,
                caller_id=caller_id,
                started_at=now - timedelta(hours=n),
                outcome=outcome,
                duration_seconds=seconds,
            )
        )
    db_session.add(
        Voicemail(
            recording_sid="RE" + "f" * 32,
            station_id=station_id,
            caller_id=caller_id,
            state=VoicemailState.FAILED,
            created_at=now - timedelta(days=1),
        )
    )
    db_session.commit()
    return ticket


@pytest.mark.parametrize(
    ("lang", "shown"),
    [
        ("zh", ["在菜单中挂断", "留言", "社工已接听", "回电", "240 秒", "无法转写"]),
        ("en", ["Hung up in the menu", "Voicemail", "Answered by a worker", "240 s"]),
    ],
)
def test_outcomes_and_states_are_words_in_the_interface_language(history, login, lang, shown):
    browser = login("worker-a")
    browser.post("/console/language", lang=lang, next="/console/")
    page = browser.get(f"/console/callers/{history.caller_id}").get_data(as_text=True)
    calls = page[page.index('<section class="card"><h2>', page.index("</section>")) :]
    for words in shown:
        assert words in calls, words
    assert not any(f"· {raw}" in calls or f"{raw} " in calls for raw in RAW_VALUES)
