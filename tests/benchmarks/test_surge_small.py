"""The surge benchmark, small: four residents at once through a real ``ivr serve`` on SQLite.

Not a timing test: it checks that every call's webhooks answered with TwiML and that
every voicemail ended with a ticket and one transcript. The figures are the script's job
(``benchmarks/surge.py``).
"""

from __future__ import annotations

import shutil

import pytest

from benchmarks.surge import report, run_surge

pytestmark = [
    pytest.mark.vosk,
    pytest.mark.skipif(
        not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox"
    ),
]


def test_four_residents_at_once_each_leave_one_transcribed_voicemail() -> None:
    # Typically 45 s. The drain timeout is generous: a busy machine (a parallel test run)
    # decodes several times slower, and a slow drain is the script's figure, not this test's.
    result = run_surge(
        "sqlite", 4, think=(0.5, 1.0), drain_timeout=90, grace=10, seed=4, log=lambda _: None
    )
    report(result, None)  # shown by pytest when the test fails, with the server's log
    print("--- ivr serve log (tail) ---\n" + result.server_log[-6000:])
    failing = [(h.step, h.path, h.status, h.error) for h in result.errors]
    assert result.non_2xx == 0, failing
    assert result.invalid_twiml == 0, failing
    assert all(r.recorded for r in result.residents), [r.problem for r in result.residents]
    assert result.lost == 0, result.stored.lost
    assert result.duplicates == 0
    assert result.drain.complete, result.drain
    assert result.stored.rows == result.stored.with_transcript == 4, result.stored.states
    for resident in result.residents:  # each call went the whole way, hung up included
        assert [h.step for h in resident.hits if h.step != "gather"] == [
            "voice",
            "record",
            "recording",
            "status",
        ]
