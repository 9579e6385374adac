"""The campaign benchmark, small: 300 residents, on both databases.

Not a timing test: it checks that the built list is exactly what one SELECT lists and
that every entry was dealt to a worker of its own station. The figures are the script's
job (``benchmarks/campaign_build.py``).
"""

from __future__ import annotations

from sqlalchemy import select

from benchmarks.campaign_build import make_district, measure
from models import CampaignEntry, User


def test_a_small_district_campaign_matches_the_listing_and_is_dealt_per_station(app, db_session):
    with app.test_request_context():
        admin, workers = make_district(db_session, 300)
        figures = measure(db_session, admin, workers, rounds=2)
    assert figures.people == figures.entries == figures.assigned == 300
    mismatched = db_session.scalar(
        select(CampaignEntry.id)
        .join(User, User.id == CampaignEntry.assignee_id)
        .where(User.station_id != CampaignEntry.station_id)
        .limit(1)
    )
    assert mismatched is None
    per_worker = {}
    for (assignee,) in db_session.execute(select(CampaignEntry.assignee_id)):
        per_worker[assignee] = per_worker.get(assignee, 0) + 1
    assert len(per_worker) == len(workers)
    assert max(per_worker.values()) - min(per_worker.values()) <= 2  # two rounds' lists
