"""How far a campaign has got: reached / attempted / total, overall and by flag.

"Reached" counts the residents a worker spoke to (reached, or reached and needing help);
in the seed's terms each is a person-time reached. One GROUP BY per question; residents
with several flags count under each of them, and once in the totals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import Session

from models import CallerVulnerability, CampaignEntry, EntryState

REACHED_STATES = (EntryState.REACHED, EntryState.NEEDS_HELP)


@dataclass
class Coverage:
    total: int = 0
    attempted: int = 0
    reached: int = 0
    needs_help: int = 0
    gave_up: int = 0
    wrong_number: int = 0
    assigned: int = 0

    @property
    def reached_share(self) -> float | None:
        return self.reached / self.total if self.total else None


@dataclass
class CampaignCoverage:
    overall: Coverage = field(default_factory=Coverage)
    by_flag: dict[str, Coverage] = field(default_factory=dict)


def _sums(*group: ColumnElement) -> list:  # type: ignore[type-arg]
    def count_when(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    return [
        *group,
        func.count(),
        count_when(CampaignEntry.attempts > 0),
        count_when(CampaignEntry.state.in_(REACHED_STATES)),
        count_when(CampaignEntry.state == EntryState.NEEDS_HELP),
        count_when(CampaignEntry.state == EntryState.GAVE_UP),
        count_when(CampaignEntry.state == EntryState.WRONG_NUMBER),
        count_when(CampaignEntry.assignee_id.is_not(None)),
    ]


def _coverage(numbers) -> Coverage:  # type: ignore[no-untyped-def]
    return Coverage(*(int(n or 0) for n in numbers))


def coverage_by_campaign(
    session: Session, where: ColumnElement[bool]
) -> dict[int, CampaignCoverage]:
    """Coverage of every campaign with entries matching ``where``, keyed by campaign id."""
    result: dict[int, CampaignCoverage] = {}
    for row in session.execute(
        select(*_sums(CampaignEntry.campaign_id)).where(where).group_by(CampaignEntry.campaign_id)
    ):
        result[row[0]] = CampaignCoverage(_coverage(row[1:]))
    flagged = (
        select(*_sums(CampaignEntry.campaign_id, CallerVulnerability.flag))
        .join(CallerVulnerability, CallerVulnerability.caller_id == CampaignEntry.caller_id)
        .where(where)
        .group_by(CampaignEntry.campaign_id, CallerVulnerability.flag)
    )
    for row in session.execute(flagged):
        result[row[0]].by_flag[row[1].value] = _coverage(row[2:])
    return result
