"""Referrals between each pair of stations: sent, accepted, declined, and how long the
receiver took to accept and to resolve (e.g. 黄石街 → 同德街).

A referral counts in the period its ``sent_at`` falls in, read on the scope's clock (the
timezone most of its stations keep), and in a scope when either of its stations is there.
Its answer and outcome count whenever they came, so a month's row says what became of the
month's referrals. Computed live from ``referrals`` (a few rows per station and month):
not part of the per-station-day rollup.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from statistics import median

from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select
from sqlalchemy.orm import Session, joinedload

from ivr.stations.name_order import pinyin_key
from ivr.stats.exports import Cell, Table
from ivr.stats.periods import utc_bounds
from ivr.stats.report import Period, ReportScope
from models import Referral, ReferralState

ACCEPTED = (ReferralState.ACCEPTED, ReferralState.RESOLVED)


@dataclass
class PairFigures:
    from_code: str  # "" for the unassigned queue
    from_name: str
    to_code: str
    to_name: str
    sent: int = 0
    accepted: int = 0
    declined: int = 0
    pending: int = 0
    answer_overdue: int = 0  # of the pending, past the receiver's time limit now
    resolved: int = 0
    minutes_to_accept: list[float] = field(default_factory=list)
    minutes_to_resolve: list[float] = field(default_factory=list)

    @property
    def median_minutes_to_accept(self) -> float | None:
        return median(self.minutes_to_accept) if self.minutes_to_accept else None

    @property
    def median_minutes_to_resolve(self) -> float | None:
        return median(self.minutes_to_resolve) if self.minutes_to_resolve else None


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def referral_pairs(
    session: Session, scope: ReportScope, period: Period, now: datetime
) -> list[PairFigures]:
    """One row per (sending, receiving) station pair with referrals sent in ``period``,
    in pinyin order of the sender, then the receiver."""
    start, end = utc_bounds(period.start, period.end, scope.timezone)
    query = (
        select(Referral)
        .where(Referral.sent_at >= start, Referral.sent_at < end, Referral.sent_at <= now)
        .options(joinedload(Referral.from_station), joinedload(Referral.to_station))
    )
    if scope.kind != "city":
        ids = list(scope.station_ids)
        query = query.where(or_(Referral.from_station_id.in_(ids), Referral.to_station_id.in_(ids)))
    pairs: dict[tuple[int, int], PairFigures] = {}
    for row in session.scalars(query):
        sender, receiver = row.from_station, row.to_station
        pair = pairs.setdefault(
            (row.from_station_id or 0, row.to_station_id),
            PairFigures(
                sender.code if sender else "",
                sender.name_zh if sender else str(_l("未分配队列")),
                receiver.code,
                receiver.name_zh,
            ),
        )
        pair.sent += 1
        if row.state in ACCEPTED:
            pair.accepted += 1
            if row.answered_at is not None:
                pair.minutes_to_accept.append(_minutes(row.sent_at, row.answered_at))
        elif row.state is ReferralState.DECLINED:
            pair.declined += 1
        else:
            pair.pending += 1
            pair.answer_overdue += row.accept_due_at < now
        if row.state is ReferralState.RESOLVED and row.resolved_at is not None:
            pair.resolved += 1
            pair.minutes_to_resolve.append(_minutes(row.sent_at, row.resolved_at))
    return sorted(pairs.values(), key=lambda p: (pinyin_key(p.from_name), pinyin_key(p.to_name)))


COLUMNS = (
    ("from_name", _l("转介方")),
    ("to_name", _l("接收方")),
    ("sent", _l("转介")),
    ("accepted", _l("已接收")),
    ("declined", _l("已退回")),
    ("pending", _l("待接收")),
    ("answer_overdue", _l("接收超时")),
    ("resolved", _l("已办结")),
    ("median_minutes_to_accept", _l("接收用时中位数（分钟）")),
    ("median_minutes_to_resolve", _l("办结用时中位数（分钟）")),
)
SHEET = _l("站对站转介")


def pairs_sheet(pairs: list[PairFigures], locale: str = "zh") -> tuple[str, Table]:
    """The pairs as an export sheet (a header row, then one row a pair; whole minutes)."""
    with force_locale(locale):
        name = str(SHEET)
        table: Table = [[str(label) for _, label in COLUMNS]]
    for pair in pairs:
        row: list[Cell] = []
        for key, _label in COLUMNS:
            value = getattr(pair, key)
            row.append(round(value) if isinstance(value, float) else value)
        table.append(row)
    return name, table
