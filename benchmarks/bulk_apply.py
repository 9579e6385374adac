"""Bulk menu changes: a notice or a template applied to all 203 demo stations at once.

    .venv/bin/python benchmarks/bulk_apply.py [--rounds 5] [--database-url URL]

Makes a throw-away instance in a temporary folder (SQLite unless ``--database-url`` names
an empty, migrated-or-not database), loads the demo registry without activity (``ivr
demo --no-activity``: 203 stations, the default menu published for each), then times, in
one process and interleaved round by round so drift hits all alike:

- ``save one version``: ``ivr.menus.save_version`` for one station and a commit, the
  single-station path (validation, a new version row);
- ``notice → 10 stations``: ``apply_notice`` to 10 stations and a commit;
- ``notice → 203 stations``: the same to every station;
- ``template → 203 stations``: ``apply_template`` with a saved template (the default menu
  with a re-worded main prompt, a new version each round) to every station.

Every round applies a notice with a new node id and a new template version, so each
stores a new version for every station (nothing is "unchanged"). Prints the median seconds per
scenario, milliseconds per station, and the ratio to the baselines. Target: 203 stations
in a few seconds (the page waits for it), at a per-station cost no worse than the
single-station save.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml
from sqlalchemy import select

from ivr import create_app
from ivr.cli import cli
from ivr.db import get_session
from ivr.menus.default_menu import default_menu, default_menu_yaml
from ivr.menus.rollout import Outcome, apply_notice, apply_template
from ivr.menus.templates import save_template
from ivr.menus.versions import save_version
from models import Station, User

TARGET_SECONDS = 5.0


def _prompts(round_no: int) -> dict[str, str]:
    return {
        "zh": f"第{round_no}号通知：本区核酸检测点调整。",
        "yue": f"第{round_no}號通知：本區核酸檢測點調整。",
        "en": f"Notice {round_no}: testing sites have moved.",
    }


def _timed(work: Callable[[], object]) -> tuple[float, object]:
    started = time.perf_counter()
    result = work()
    get_session().commit()
    return time.perf_counter() - started, result


def _check(results: object, expected: int) -> None:
    assert isinstance(results, list)
    updated = sum(1 for r in results if r.outcome is Outcome.UPDATED)
    if updated != expected:
        problems = {str(p) for r in results for p in r.problems}
        raise SystemExit(f"expected {expected} stations updated, got {updated}: {problems}")


def run(rounds: int, database_url: str | None) -> int:
    with tempfile.TemporaryDirectory(prefix="ivr-bulk-bench-") as tmp:
        env = {
            "IVR_INSTANCE_DIR": str(Path(tmp) / "instance"),
            "IVR_SECRET_KEY": "bench",
            "IVR_DATABASE_URL": database_url or f"sqlite:///{Path(tmp) / 'ivr.db'}",
        }
        app = create_app(env)
        print("loading the demo registry (ivr demo --no-activity)…", flush=True)
        outcome = app.test_cli_runner().invoke(
            cli, ["demo", "--no-activity", "--password", "bench-password"]
        )
        if outcome.exit_code != 0:
            raise SystemExit(outcome.output)
        with app.app_context():
            return _measure(rounds)


def _measure(rounds: int) -> int:
    session = get_session()
    stations = list(session.scalars(select(Station).order_by(Station.code)))
    admin = session.scalars(select(User).where(User.username == "admin")).one()
    templates = {}
    for round_no in range(1, rounds + 1):  # a new template version per round: all update
        document = default_menu(["zh", "yue", "en"])
        document["nodes"]["main"]["prompt"]["zh"] = f"模板第{round_no}版：需要帮助请按对应数字。"
        text = yaml.safe_dump(document, allow_unicode=True)
        templates[round_no] = save_template(session, "bench", text, admin, note="benchmark")
    session.commit()
    one = stations[0]
    one_menu = default_menu_yaml(one.languages)
    times: dict[str, list[float]] = {}
    scenarios: list[tuple[str, int, Callable[[int], object], int]] = [
        ("save one version", 1, lambda r: save_version(session, one, one_menu, publish=True), 0),
        (
            "notice → 10 stations",
            10,
            lambda r: apply_notice(
                session, stations[:10], f"n10_{r}", _prompts(r), "after_language", admin, True
            ),
            10,
        ),
        (
            f"notice → {len(stations)} stations",
            len(stations),
            lambda r: apply_notice(
                session, stations, f"n_all_{r}", _prompts(r), "after_language", admin, True
            ),
            len(stations),
        ),
        (
            f"template → {len(stations)} stations",
            len(stations),
            lambda r: apply_template(session, templates[r], stations, admin, publish=True),
            len(stations),
        ),
    ]
    for round_no in range(1, rounds + 1):
        for name, _count, work, expected in scenarios:
            seconds, results = _timed(lambda: work(round_no))  # noqa: B023
            if expected:
                _check(results, expected)
            times.setdefault(name, []).append(seconds)
        print(f"round {round_no}/{rounds} done", flush=True)
    return _report(scenarios, times)


def _report(scenarios: list, times: dict[str, list[float]]) -> int:
    medians = {name: statistics.median(values) for name, values in times.items()}
    single = medians["save one version"]
    ten = medians["notice → 10 stations"] / 10
    print()
    print(f"{'scenario':28} {'stations':>8} {'median s':>9} {'ms/station':>11} "
          f"{'÷ one save':>11} {'÷ 10-station':>13}")  # fmt: skip
    for name, count, _work, _expected in scenarios:
        per_station = medians[name] / count
        print(
            f"{name:28} {count:>8} {medians[name]:>9.3f} {per_station * 1000:>11.2f} "
            f"{per_station / single:>10.2f}x {per_station / ten:>12.2f}x"
        )
    worst = max(medians[name] for name, count, _w, _e in scenarios if count > 10)
    verdict = "met" if worst <= TARGET_SECONDS else "MISSED"
    print(f"\ntarget: every 200+ station action within {TARGET_SECONDS:.0f} s: {verdict}")
    return 0 if worst <= TARGET_SECONDS else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    return run(args.rounds, args.database_url)


if __name__ == "__main__":
    raise SystemExit(main())
