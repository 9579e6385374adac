"""Campaign coverage on the statistics page and in its export, within the viewer's scope."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from sqlalchemy import select

from ivr.campaigns.build import Criteria, from_registry
from ivr.campaigns.outcomes import record_outcome
from ivr.stations.users import create_user
from models import (
    AuditLog,
    CallerVulnerability,
    CampaignEntry,
    CampaignOutcome,
    Role,
    Vulnerability,
    utcnow,
)
from tests import factories

PASSWORD = "correct horse battery"


def sign_in(client, username):  # type: ignore[no-untyped-def]
    import re

    page = client.get("/console/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/console/login", data={"username": username, "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302


def campaign_at(db_session, station, admin, flags_list):  # type: ignore[no-untyped-def]
    for flags in flags_list:
        person = factories.caller(db_session)
        person.home_station_id = station.id
        person.vulnerabilities = [CallerVulnerability(flag=f) for f in flags]
    db_session.flush()
    built = from_registry(db_session, admin, f"电访{station.name_zh}", Criteria(()), utcnow())
    return list(
        db_session.scalars(
            select(CampaignEntry)
            .where(CampaignEntry.campaign_id == built.campaign.id)
            .order_by(CampaignEntry.id)
        )
    )


def test_the_dashboard_and_export_show_coverage_by_flag(app, client, db_session):
    with app.test_request_context():
        haizhu = factories.district(db_session, code="haizhu", name_zh="海珠区")
        a = factories.station(db_session, haizhu, code="haizhu-nanzhou", name_zh="南洲街")
        b = factories.station(db_session, code="baiyun-tongde", name_zh="同德街")
        admin_a = create_user(
            db_session, "nanzhou-admin", PASSWORD, Role.STATION_ADMIN, "haizhu-nanzhou", None
        )
        admin_b = create_user(
            db_session, "tongde-admin", PASSWORD, Role.STATION_ADMIN, "baiyun-tongde", None
        )
        lone = Vulnerability.LONE_ELDERLY
        entries = campaign_at(db_session, a, admin_a, [(lone,), (lone,), (Vulnerability.DIBAO,)])
        now = utcnow()
        record_outcome(db_session, entries[0], admin_a, CampaignOutcome.REACHED, now)
        record_outcome(
            db_session, entries[1], admin_a, CampaignOutcome.NO_ANSWER, now - timedelta(days=90)
        )
        campaign_at(db_session, b, admin_b, [(lone,)])
        db_session.commit()
    sign_in(client, "nanzhou-admin")
    page = client.get("/stats/?preset=month").get_data(as_text=True)
    assert "电访南洲街" in page and "电访同德街" not in page
    assert "本时段电访通话 1 次，联系上 1 人次" in page  # the 90-day-old try is outside
    export = client.get("/stats/campaigns.csv?scope=station:haizhu-nanzhou&preset=month")
    rows = list(csv.reader(io.StringIO(export.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[1] == ["1", "1"]
    assert ["电访南洲街", "全部", "1", "2", "3", "0", "0"] in rows
    assert ["电访南洲街", "独居/孤寡/留守老人", "1", "2", "2", "0", "0"] in rows
    assert not any("同德街" in cell for row in rows for cell in row)
    assert client.get("/stats/campaigns.csv?scope=station:baiyun-tongde").status_code == 404
    assert db_session.scalar(select(AuditLog).where(AuditLog.action == "campaigns.export"))
