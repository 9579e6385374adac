"""Making a campaign's call list: from the caller registry in one statement, or from a CSV.

The registry path is set-based: one ``INSERT … SELECT`` picks every resident whose home
station is chosen, who carries one of the chosen vulnerability flags, and whom no call
has reached (or come from) for N days. Erased residents and withheld numbers never enter
a list. Nothing here commits; the caller does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, insert, literal, select
from sqlalchemy.orm import Session

from ivr.campaigns import CampaignInvalid
from ivr.phone import WITHHELD_NUMBERS
from models import (
    Call,
    Caller,
    CallerVulnerability,
    Campaign,
    CampaignEntry,
    EntryState,
    Role,
    Station,
    User,
    Vulnerability,
)


@dataclass(frozen=True)
class Criteria:
    """Who goes on the list: any of ``flags`` (none: everyone), at ``station_ids``."""

    station_ids: tuple[int, ...]
    flags: tuple[Vulnerability, ...] = ()
    # Only residents with no call to or from them in this many days (None: any).
    not_contacted_days: int | None = None

    def as_json(self) -> dict:
        return {
            "source": "registry",
            "stations": list(self.station_ids),
            "flags": [f.value for f in self.flags],
            "not_contacted_days": self.not_contacted_days,
        }


@dataclass
class BuildResult:
    campaign: Campaign
    entries: int
    problems: list[str] = field(default_factory=list)


def allowed_stations(session: Session, owner: User) -> list[Station]:
    """The stations an admin may build a list over: their station, or their district's."""
    query = select(Station).order_by(Station.code)
    if owner.role is Role.STATION_ADMIN and owner.station_id is not None:
        return list(session.scalars(query.where(Station.id == owner.station_id)))
    if owner.role is Role.DISTRICT_ADMIN and owner.district_id is not None:
        return list(session.scalars(query.where(Station.district_id == owner.district_id)))
    return []


def new_campaign(session: Session, owner: User, name: str, criteria: dict) -> Campaign:
    """An empty campaign owned by ``owner``'s station or district."""
    name = " ".join(name.split())[:100]
    if not name:
        raise CampaignInvalid(_l("请给这次电访起个名字"))
    if owner.role is Role.STATION_ADMIN and owner.station_id is not None:
        campaign = Campaign(name=name, station_id=owner.station_id)
    elif owner.role is Role.DISTRICT_ADMIN and owner.district_id is not None:
        campaign = Campaign(name=name, district_id=owner.district_id)
    else:
        raise CampaignInvalid(_l("只有社工站或区的管理员可以建立电访名单"))
    campaign.created_by_id = owner.id
    campaign.criteria = criteria
    session.add(campaign)
    session.flush()
    return campaign


def from_registry(
    session: Session, owner: User, name: str, criteria: Criteria, now: datetime
) -> BuildResult:
    """A campaign over the registry's residents matching ``criteria``, built in SQL."""
    permitted = {s.id for s in allowed_stations(session, owner)}
    chosen = tuple(s for s in criteria.station_ids if s in permitted) or tuple(sorted(permitted))
    if not chosen:
        raise CampaignInvalid(_l("没有可以选择的社工站"))
    criteria = Criteria(chosen, criteria.flags, criteria.not_contacted_days)
    campaign = new_campaign(session, owner, name, criteria.as_json())
    picked = select(
        literal(campaign.id),
        Caller.id,
        Caller.home_station_id,
        literal(EntryState.PENDING.value),
        literal(0),
    ).where(
        Caller.home_station_id.in_(chosen),
        Caller.erased_at.is_(None),
        Caller.phone_number.not_in(list(WITHHELD_NUMBERS)),
    )
    if criteria.flags:
        picked = picked.where(
            exists().where(
                CallerVulnerability.caller_id == Caller.id,
                CallerVulnerability.flag.in_(criteria.flags),
            )
        )
    if criteria.not_contacted_days is not None:
        since = now - timedelta(days=criteria.not_contacted_days)
        picked = picked.where(
            ~exists().where(Call.caller_id == Caller.id, Call.started_at >= since)
        )
    table = CampaignEntry.__table__
    session.execute(
        insert(table).from_select(
            ["campaign_id", "caller_id", "station_id", "state", "attempts"], picked
        )
    )
    # psycopg reports no rowcount for INSERT … SELECT through the ORM session: count instead.
    return BuildResult(campaign, entry_count(session, campaign))


def entry_count(session: Session, campaign: Campaign) -> int:
    return session.scalar(select(func.count()).where(CampaignEntry.campaign_id == campaign.id)) or 0
