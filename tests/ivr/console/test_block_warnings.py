"""A blocked number never stops a call back: the ticket page and click-to-call warn."""

from __future__ import annotations

from datetime import timedelta

from ivr.tickets.tags import get_tags
from models import BlockedNumber, Priority, Ticket, utcnow
from tests.conftest import fresh
from tests.ivr.console.test_click_to_call import ready  # noqa: F401 - fixture

URGENT_WARNING = "但这张工单含紧急内容：拉黑不影响回电"
PLAIN_WARNING = "居民打进热线会被挂断，回电不受影响"


def _block(db_session, world, station_key: str | None, **fields) -> None:  # type: ignore[no-untyped-def]
    station_id = world["stations"][station_key].id if station_key else None
    number = world["tickets"]["a"].caller_number
    db_session.add(BlockedNumber(station_id=station_id, number=number, reason="辱骂", **fields))
    db_session.commit()


def _make_urgent(db_session, world) -> Ticket:  # type: ignore[no-untyped-def]
    ticket = fresh(db_session).get(Ticket, world["tickets"]["a"].id)
    ticket.priority = Priority.URGENT
    ticket.tags = list(get_tags(db_session, ["urgent"]))
    db_session.commit()
    return ticket


def _page(browser, ticket_id: int) -> str:  # type: ignore[no-untyped-def]
    return browser.get(f"/console/tickets/{ticket_id}").get_data(as_text=True)


def test_an_urgent_ticket_from_a_number_blocked_later_warns_and_still_calls(
    ready,  # noqa: F811 - the imported fixture
    fake_api,  # noqa: F811
    login,
    db_session,
):
    ticket = _make_urgent(db_session, ready)
    browser = login("worker-a")
    assert "block-warning" not in _page(browser, ticket.id)
    _block(db_session, ready, "a")  # blocked after the ticket came in
    html = _page(browser, ticket.id)
    assert URGENT_WARNING in html and "本站名单：辱骂" in html

    called = browser.post(
        f"/console/tickets/{ticket.id}/call",
        version=str(fresh(db_session).get(Ticket, ticket.id).version_id),
    )
    answer = called.get_data(as_text=True)
    assert "正在拨打您的电话" in answer and URGENT_WARNING in answer
    [sent] = fake_api.requests  # the block did not stop the call back
    assert sent.form["Url"].startswith("https://hotline.example.org/twilio/bridge?t=")


def test_a_plain_ticket_warns_that_the_number_is_blocked(ready, login, db_session):  # noqa: F811
    _block(db_session, ready, None)
    html = _page(login("worker-a"), ready["tickets"]["a"].id)
    assert PLAIN_WARNING in html and "全市名单" in html and URGENT_WARNING not in html


def test_no_warning_for_another_stations_block_or_an_expired_one(ready, login, db_session):  # noqa: F811
    _block(db_session, ready, "b")
    _block(db_session, ready, "a", expires_at=utcnow() - timedelta(hours=1))
    assert "block-warning" not in _page(login("worker-a"), ready["tickets"]["a"].id)
