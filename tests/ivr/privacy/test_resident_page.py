"""The city admin's page for a resident's request."""

from __future__ import annotations

import io
import zipfile

from sqlalchemy import select

from models import AuditLog, Caller, Ticket, TicketStatus
from tests.conftest import fresh
from tests.ivr.console.conftest import RESIDENT_A, WAV

PAGE = "/admin/residents"


def test_only_a_city_admin_has_the_page(admin_world, login):
    assert login("admin-a").get(PAGE).status_code == 403
    assert login("haizhu-admin").get(PAGE).status_code == 403
    assert login("city").get(PAGE).status_code == 200


def test_look_up_export_and_erase(admin_world, login, db_session):
    browser = login("city")
    assert "居民数据请求" in browser.get("/admin/").get_data(as_text=True)
    found = browser.post(PAGE, page=PAGE, number=RESIDENT_A, action="lookup").get_data(as_text=True)
    assert "留言 1 条，其中 1 条有录音" in found and "未结案 1 张" in found

    exported = browser.post(PAGE, page=PAGE, number=RESIDENT_A, action="export")
    assert exported.mimetype == "application/zip"
    assert exported.headers["Cache-Control"] == "private, no-store"
    archive = zipfile.ZipFile(io.BytesIO(exported.data))
    audio = [n for n in archive.namelist() if n.startswith("audio/")]
    assert len(audio) == 1 and archive.read(audio[0]) == WAV

    unconfirmed = browser.post(PAGE, page=PAGE, number=RESIDENT_A, action="erase")
    assert unconfirmed.status_code == 400 and "确认" in unconfirmed.get_data(as_text=True)
    refused = browser.post(PAGE, page=PAGE, number=RESIDENT_A, action="erase", confirm="1")
    assert refused.status_code == 409
    assert f"#{admin_world['tickets']['a'].id}" in refused.get_data(as_text=True)
    assert fresh(db_session).scalar(select(Caller).where(Caller.phone_number == RESIDENT_A))

    ticket = db_session.get(Ticket, admin_world["tickets"]["a"].id)
    ticket.status = TicketStatus.RESOLVED
    db_session.commit()
    erased = browser.post(PAGE, page=PAGE, number=RESIDENT_A, action="erase", confirm="1")
    assert erased.status_code == 200 and "已删除" in erased.get_data(as_text=True)
    assert fresh(db_session).scalar(select(Caller).where(Caller.phone_number == RESIDENT_A)) is None
    actions = [a for a in db_session.scalars(select(AuditLog.action)) if a.startswith("privacy.")]
    assert actions == ["privacy.lookup", "privacy.export", "privacy.erase"]


def test_a_bad_or_unknown_number_is_said_so(admin_world, login):
    browser = login("city")
    assert browser.post(PAGE, page=PAGE, number="abc").status_code == 400
    assert browser.post(PAGE, page=PAGE, number="+8613000000000").status_code == 404
