"""The console watchers benchmark, small: a real ``ivr serve`` on SQLite, consoles polling.

Not a timing test: it checks what the polls answer — 304 while nothing changed, 200 once
a resident's voicemail, through Twilio's signed webhooks, opened a ticket at the console's
station, and that ticket in the queue page fetched after it. The figures are the script's
job (``benchmarks/console_watchers.py``). Typically 1-2 minutes (``ivr demo`` sets up 203
stations first).
"""

from __future__ import annotations

import random

from sqlalchemy import text

from benchmarks.console_watchers import SILENCE, call, run_once, serving, sign_in_all
from benchmarks.surge import Signer, make_residents, read_engine


def tickets_at(url: str, station_code: str) -> list[int]:
    engine = read_engine(url)
    with engine.connect() as connection:
        ids = connection.execute(
            text(
                "SELECT t.id FROM tickets t JOIN stations s ON s.id = t.station_id "
                "WHERE s.code = :code ORDER BY t.id"
            ),
            {"code": station_code},
        ).scalars()
        found = list(ids)
    engine.dispose()
    return found


def test_polls_answer_304_until_a_webhook_opens_a_ticket(tmp_path) -> None:
    (tmp_path / "instance").mkdir()
    with serving("sqlite", tmp_path, tmp_path / "serve.log") as instance:
        worker, other = sign_in_all(instance, 2)  # workers at the first two stations
        assert [worker.poll().status, worker.poll().status] == [304, 304]
        assert tickets_at(instance.url, instance.station_codes[0]) == []

        # A resident calls the first station's hotline and leaves a voicemail.
        [resident] = make_residents(
            1, instance.hotlines[:1], [SILENCE], instance.media, (0.0, 0.0), 0.0, random.Random(1)
        )
        call(resident, instance.base, Signer(instance.env["TWILIO_AUTH_TOKEN"]), voicemail=True)
        assert [h.step for h in resident.hits if h.failed] == [], resident.hits
        [ticket] = tickets_at(instance.url, instance.station_codes[0])

        changed = worker.poll()
        assert changed.status == 200 and not changed.error
        assert f"#{ticket}" in worker.page  # the fresh queue shows it
        assert worker.poll().status == 304
        assert other.poll().status == 304  # another station's console learns nothing

        # The benchmark's own loop, briefly: every poll a 304 or a 200, every webhook answered.
        run = run_once(
            instance,
            "small",
            [worker, other],
            0.5,
            rate=1,
            duration=4,
            seed="t",
            log=lambda _: None,
        )
        assert run.webhook_errors == [] and run.poll_errors == []
        assert run.polls and {p.status for p in run.polls} <= {200, 304}
        assert any(p.status == 200 for p in run.polls)  # calls reached the watched stations
