"""Sharing a call list among workers: round-robin per station, in one UPDATE.

A worker calls only residents of their own station (they see no other station's data),
so each station's pending entries are numbered in id order and dealt out to the chosen
workers of that station. Entries at a station with no chosen worker stay unassigned.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, literal, select, union_all, update
from sqlalchemy.orm import Session

from ivr.campaigns import CampaignInvalid
from ivr.campaigns.build import allowed_stations
from models import Campaign, CampaignEntry, EntryState, Role, User


def assignable_workers(session: Session, owner: User) -> list[User]:
    """Workers and station admins at the stations ``owner`` may build lists over."""
    station_ids = [s.id for s in allowed_stations(session, owner)]
    return list(
        session.scalars(
            select(User)
            .where(
                User.station_id.in_(station_ids),
                User.role.in_((Role.WORKER, Role.STATION_ADMIN)),
                User.active.is_(True),
            )
            .order_by(User.station_id, User.username)
        )
    )


def assign_round_robin(
    session: Session, owner: User, campaign: Campaign, worker_ids: list[int]
) -> int:
    """Deal the campaign's pending entries to ``worker_ids``; returns how many were dealt."""
    allowed = {w.id: w for w in assignable_workers(session, owner)}
    chosen = [allowed[i] for i in dict.fromkeys(worker_ids) if i in allowed]
    if not chosen:
        raise CampaignInvalid(_l("请至少选择一位本站的社工"))
    by_station: dict[int, list[int]] = {}
    for worker in chosen:
        by_station.setdefault(worker.station_id or 0, []).append(worker.id)
    slots = union_all(
        *[
            select(
                literal(station).label("station_id"),
                literal(slot).label("slot"),
                literal(len(ids)).label("width"),
                literal(worker).label("worker_id"),
            )
            for station, ids in by_station.items()
            for slot, worker in enumerate(ids)
        ]
    ).subquery("slots")
    numbered = (
        select(
            CampaignEntry.id.label("entry_id"),
            CampaignEntry.station_id.label("station_id"),
            (
                func.row_number().over(
                    partition_by=CampaignEntry.station_id, order_by=CampaignEntry.id
                )
                - 1
            ).label("n"),
        )
        .where(
            CampaignEntry.campaign_id == campaign.id,
            CampaignEntry.state == EntryState.PENDING,
            CampaignEntry.station_id.in_(list(by_station)),
        )
        .subquery("numbered")
    )
    dealt = (
        select(numbered.c.entry_id, slots.c.worker_id)
        .join(
            slots,
            (slots.c.station_id == numbered.c.station_id)
            & (slots.c.slot == numbered.c.n % slots.c.width),
        )
        .subquery("dealt")
    )
    result = session.execute(
        update(CampaignEntry)
        .where(CampaignEntry.id == dealt.c.entry_id)
        .values(assignee_id=dealt.c.worker_id)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount is not None and result.rowcount >= 0:
        return result.rowcount
    return (
        session.scalar(  # a driver that reports no rowcount
            select(func.count()).where(
                CampaignEntry.campaign_id == campaign.id,
                CampaignEntry.state == EntryState.PENDING,
                CampaignEntry.assignee_id.in_([w.id for w in chosen]),
            )
        )
        or 0
    )
