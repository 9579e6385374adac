"""The demo's outreach campaign: 南洲街 phones its residents who live alone, part-way done."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from ivr.campaigns.assign import assign_round_robin
from ivr.campaigns.build import Criteria, from_registry
from ivr.campaigns.outcomes import record_outcome
from models import (
    Caller,
    CallerVulnerability,
    Campaign,
    CampaignEntry,
    CampaignOutcome,
    Station,
    User,
    Vulnerability,
)

NAME = "南洲街独居老人电访"
STATION = "haizhu-nanzhou"
# Residents who live alone, added to the registry so the list has someone on it.
RESIDENTS = ["陈伯", "黄婆婆", "梁伯", "何姨", "罗伯", "冯婆婆", "邓伯", "曾姨", "彭伯", "苏婆婆"]
# What the worker made of the first few calls (the rest are still to do).
WORKED = [
    (CampaignOutcome.REACHED, "身体还好，下周再打", []),
    (CampaignOutcome.NEEDS_HELP, "降压药只剩两天，腿脚不便不能出门", ["药品", "独居老人"]),
    (CampaignOutcome.NO_ANSWER, "", []),
    (CampaignOutcome.REACHED, "", []),
    (CampaignOutcome.WRONG_NUMBER, "号码已换人使用", []),
    (CampaignOutcome.NO_ANSWER, "", []),
]


def add_demo_campaign(session: Session, now: datetime) -> str:
    """Once: the campaign, built by nanzhou-admin, assigned to nanzhou-worker, part worked."""
    if session.scalar(select(Campaign.id).where(Campaign.name == NAME)):
        return "campaign: already there"
    station = session.scalars(select(Station).where(Station.code == STATION)).one()
    admin = session.scalars(select(User).where(User.username == "nanzhou-admin")).one()
    worker = session.scalars(select(User).where(User.username == "nanzhou-worker")).one()
    for index, name in enumerate(RESIDENTS):
        number = f"+8613960{station.id:03d}{index:03d}"
        if session.scalar(select(Caller.id).where(Caller.phone_number == number)) is None:
            caller = Caller(phone_number=number, name=name, home_station_id=station.id)
            caller.vulnerabilities = [CallerVulnerability(flag=Vulnerability.LONE_ELDERLY)]
            session.add(caller)
    session.flush()
    criteria = Criteria((station.id,), (Vulnerability.LONE_ELDERLY,))
    built = from_registry(session, admin, NAME, criteria, now - timedelta(days=1))
    assign_round_robin(session, admin, built.campaign, [worker.id])
    entries = list(
        session.scalars(
            select(CampaignEntry)
            .where(CampaignEntry.campaign_id == built.campaign.id)
            .order_by(CampaignEntry.id)
        )
    )
    for hours_ago, (entry, (outcome, note, tags)) in enumerate(
        zip(entries, WORKED, strict=False), start=1
    ):
        record_outcome(
            session, entry, worker, outcome, now - timedelta(hours=hours_ago), note=note, tags=tags
        )
    return f"campaign: {NAME}, {built.entries} residents, {len(WORKED)} called"
