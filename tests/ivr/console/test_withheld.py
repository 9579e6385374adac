"""A withheld caller ID in the console: no history joining strangers, no number to ring."""

from __future__ import annotations

import pytest

from tests.ivr.console.test_click_to_call import WORKER_PHONE

PLACEHOLDER = "+266696687"  # Twilio's "ANONYMOUS"


@pytest.fixture
def withheld(world, db_session):
    """Ticket A as if opened, before placeholders were recognised, for a Caller made for
    Twilio's placeholder: that Caller holds the calls of everyone who withheld a number."""
    ticket = world["tickets"]["a"]
    ticket.caller.phone_number = ticket.caller_number = PLACEHOLDER
    world["users"]["worker-a"].phone = WORKER_PHONE
    db_session.commit()
    return ticket


def test_there_is_no_caller_history_for_a_placeholder(withheld, login):
    browser = login("worker-a")
    assert browser.get(f"/console/callers/{withheld.caller_id}").status_code == 404
    page = browser.get(f"/console/tickets/{withheld.id}").get_data(as_text=True)
    assert "/console/callers/" not in page and "来电历史" not in page
    assert "号码未显示" in page and "6687" not in page


def test_a_placeholder_is_not_called_back(withheld, fake_api, login):  # noqa: F811
    version = str(withheld.version_id)  # the fixture's change counted as an edit
    page = login("worker-a").post(f"/console/tickets/{withheld.id}/call", version=version)
    assert "这位居民的号码无法拨打" in page.get_data(as_text=True)
    assert fake_api.requests == []


def test_a_real_number_keeps_its_history_link(world, login):
    ticket = world["tickets"]["a"]
    page = login("worker-a").get(f"/console/tickets/{ticket.id}").get_data(as_text=True)
    assert f"/console/callers/{ticket.caller_id}" in page
