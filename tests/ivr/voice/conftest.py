from __future__ import annotations

import pytest

from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.versions import save_version
from models import OnDutyPhone
from tests import factories

HOTLINE = "+862083000034"
OTHER_HOTLINE = "+862083000083"
RESIDENT = "+8613912345678"


@pytest.fixture
def station(db_session):
    """南洲街 with the default menu published and two on-duty phones."""
    district = factories.district(db_session, code="haizhu", name_zh="海珠区")
    row = factories.station(
        db_session,
        district,
        code="haizhu-nanzhou",
        numbers=(HOTLINE,),
        name_zh="南洲街",
        name_en="Nanzhou Subdistrict",
        languages=["zh", "yue", "en"],
    )
    row.on_duty_phones = [
        OnDutyPhone(number="+8613800000001", position=0),
        OnDutyPhone(number="+8613800000002", position=1),
    ]
    save_version(db_session, row, default_menu_yaml(row.languages), publish=True)
    db_session.commit()
    return row


@pytest.fixture
def other_station(db_session, station):
    row = factories.station(
        db_session,
        station.district,
        code="baiyun-tongde",
        numbers=(OTHER_HOTLINE,),
        name_zh="同德街",
        languages=["zh"],
    )
    save_version(db_session, row, default_menu_yaml(["zh"]), publish=True)
    db_session.commit()
    return row


@pytest.fixture
def call(twilio):
    """Start a call and return a function that posts the next step of it."""

    def post(path: str = "/twilio/voice", sid: str = "CA" + "1" * 32, **params: str):
        base = {"CallSid": sid, "From": RESIDENT, "To": HOTLINE, "AccountSid": "AC" + "0" * 32}
        return twilio.post(path, **{**base, **params})

    return post
