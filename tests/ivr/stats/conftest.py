"""Statistics: the console's two-district world, its sign-in helpers, and hand-made reports.

``make_report`` builds a ``Report`` with distinct numbers everywhere, so a test can tell
each figure apart in what a page, chart or file shows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from ivr.stations.users import create_user
from ivr.stats.report import (
    CATEGORIES,
    VULNERABILITIES,
    Durations,
    Figures,
    Period,
    Report,
    ReportScope,
    Row,
)
from models import CallDirection, CallOutcome, Role, utcnow
from tests import factories
from tests.ivr.console.conftest import (  # noqa: F401 - fixtures shared with the console
    PASSWORD,
    Browser,
    browser,
    login,
    world,
)

LOCAL = ZoneInfo("Asia/Shanghai")
# Inbound calls per station of the console world; the scopes' sums differ (7, 4 and 13:
# 南洲街 7, 海珠区 11, 白云区 13, the city 24), so a page shows which scope it counted.
CALLS = {
    "a": [CallOutcome.ANSWERED] * 2 + [CallOutcome.VOICEMAIL] * 3 + [CallOutcome.ABANDONED] * 2,
    "a2": [CallOutcome.ANSWERED] * 4,
    "b": [CallOutcome.VOICEMAIL] * 13,
}


def local_today() -> date:
    return utcnow().astimezone(LOCAL).date()


@pytest.fixture
def stats_world(world, db_session):  # noqa: F811 - the imported fixture
    """The console world (a ticket at A and at B, opened now) plus ``CALLS``, made today
    from local midnight on, so every preset (today, 7d, this month) counts them."""
    midnight = datetime.combine(local_today(), datetime.min.time(), LOCAL)
    for key, outcomes in CALLS.items():
        for i, outcome in enumerate(outcomes):
            factories.call(
                db_session,
                world["stations"][key],
                direction=CallDirection.INBOUND,
                outcome=outcome,
                started_at=midnight + timedelta(minutes=i),
            )
    db_session.commit()
    return world


@pytest.fixture
def admin_a(world, db_session):  # noqa: F811 - the imported fixture
    """A station admin of 南洲街 (A), who may sign in."""
    user = create_user(db_session, "admin-a", PASSWORD, Role.STATION_ADMIN, "haizhu-nanzhou")
    db_session.commit()
    world["users"]["admin-a"] = user
    return user


def make_figures(base: int = 1000) -> Figures:
    """Figures whose every value is different (``base`` + a distinct offset)."""
    return Figures(
        calls_received=base + 101,
        calls_answered=base + 102,
        calls_to_voicemail=base + 103,
        calls_abandoned=base + 104,
        person_times=base + 105,
        voicemails=base + 106,
        transcription_backlog=base + 107,
        transcription_failed=base + 108,
        tickets_opened=base + 109,
        tickets_resolved=base + 110,
        tickets_overdue=base + 111,
        first_callback=Durations(count=40, median_minutes=95.0, p90_minutes=301.5, within_sla=30),
        resolution=Durations(count=0, median_minutes=None, p90_minutes=None, within_sla=0),
        problems_solved={c: base + 201 + i for i, c in enumerate(CATEGORIES)},
        referrals_sent=base + 112,
        referrals_received=base + 113,
        vulnerable_served={v: base + 301 + i for i, v in enumerate(VULNERABILITIES)},
        calls_by_hour=tuple(base + 400 + h for h in range(24)),
        calls_by_weekday=tuple(base + 500 + d for d in range(7)),
        calls_by_weekday_hour=tuple(tuple(d * 100 + h for h in range(24)) for d in range(7)),
    )


def make_report(kind: str = "district", rows: int = 2) -> Report:
    """A district (with ``rows`` stations), station or city report, by hand."""
    scope = {
        "station": ReportScope("station", "haizhu-nanzhou", "南洲街", "Nanzhou", (1,)),
        "district": ReportScope("district", "haizhu", "海珠区", "Haizhu", (1, 2)),
        "city": ReportScope("city", "", "广州市", "Guangzhou", (1, 2, 3)),
    }[kind]
    level = "district" if kind == "city" else "station"
    names = [("haizhu-nanzhou", "南洲街", "Nanzhou"), ("haizhu-fengyang", "凤阳街", "")]
    return Report(
        scope=scope,
        period=Period(date(2026, 11, 1), date(2026, 11, 30)),
        totals=make_figures(),
        rows=tuple(
            Row(level, i + 1, code, zh, en, make_figures(2000 + 1000 * i))
            for i, (code, zh, en) in enumerate(names[:rows])
        )
        if kind != "station"
        else (),
        generated_at=datetime(2026, 12, 1, 2, 30, tzinfo=UTC),
        as_of=datetime(2026, 12, 1, 2, 0, tzinfo=UTC),
    )


@pytest.fixture
def report() -> Report:
    return make_report()
