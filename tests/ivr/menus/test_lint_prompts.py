"""Audio prompts in the menu health check: missing, gone, silent or too quiet, measured by
decoding the stored file once per content hash and outside any transaction."""

from __future__ import annotations

import io

import pytest
from pydub import AudioSegment
from pydub.generators import Sine

from ivr.menus.lint import Severity, prompt_levels
from ivr.menus.prompts import convert_prompt, save_prompt
from ivr.storage import storage
from tests.ivr.menus.lint_helpers import editor, make_station, menu, only, publish, run


@pytest.fixture(autouse=True)
def cold_cache():
    prompt_levels.forget_levels()
    yield
    prompt_levels.forget_levels()


def _wav(segment: AudioSegment) -> bytes:
    buffer = io.BytesIO()
    segment.export(buffer, format="wav")
    return buffer.getvalue()


def tone(volume: float = -6.0) -> bytes:
    return _wav(Sine(440, sample_rate=8000).to_audio_segment(duration=1500, volume=volume))


def silence() -> bytes:
    return _wav(AudioSegment.silent(duration=1500, frame_rate=8000))


def _station_playing(app, db_session, name: str, audio: bytes | None, **fields):
    station = make_station(db_session, **fields)
    if audio is not None:
        save_prompt(db_session, station, name, convert_prompt(audio), None, storage=storage(app))
    document = menu()
    document["nodes"]["main"]["prompt"]["zh"] = {"play": name}
    publish(db_session, station, document)
    return station


def test_a_loud_prompt_is_clean(app, db_session):
    station = _station_playing(app, db_session, "welcome.wav", tone())
    assert run(app, db_session, station).problems == []


def test_a_silent_prompt_is_an_error_at_its_node(app, db_session):
    station = _station_playing(app, db_session, "welcome.wav", silence())
    problem = only(run(app, db_session, station), "prompt_silent")
    assert problem.severity is Severity.ERROR
    assert problem.link == editor(station, "main")
    assert problem.settings_link == f"/admin/stations/{station.id}/prompts"
    assert "welcome.wav" in str(problem.message) and "-∞ dBFS" in str(problem.message)


def test_a_very_quiet_prompt_is_a_warning(app, db_session):
    station = _station_playing(app, db_session, "welcome.wav", tone(volume=-43))
    problem = only(run(app, db_session, station), "prompt_quiet")
    assert problem.severity is Severity.WARNING and problem.link == editor(station, "main")


def test_a_prompt_not_in_the_library_is_an_error(app, db_session):
    station = _station_playing(app, db_session, "never-uploaded.wav", None)
    problem = only(run(app, db_session, station), "prompt_missing")
    assert problem.severity is Severity.ERROR and problem.link == editor(station, "main")
    assert "never-uploaded.wav" in str(problem.message)


def test_a_prompt_whose_file_is_gone_is_an_error(app, db_session):
    station = _station_playing(app, db_session, "welcome.wav", tone())
    db_session.commit()
    for path in (app.config["IVR"].storage_dir / "prompts").rglob("*.wav"):
        path.unlink()
    problem = only(run(app, db_session, station), "prompt_missing")
    assert problem.severity is Severity.ERROR and "missing" in str(problem.message)


def test_levels_are_measured_once_per_content_and_outside_transactions(
    app, db_session, monkeypatch
):
    audio = silence()
    stations = [_station_playing(app, db_session, "welcome.wav", audio) for _ in range(3)]
    decoded = []
    measure = prompt_levels.measure

    def counting(path):  # type: ignore[no-untyped-def]
        decoded.append(db_session.in_transaction())
        return measure(path)

    monkeypatch.setattr(prompt_levels, "measure", counting)
    first = run(app, db_session, *stations)
    second = run(app, db_session, *stations)
    assert decoded == [False]  # one decode for three stations and two runs; no transaction open
    for report in (first, second):
        silent = {p.station.id for p in report.problems if p.check == "prompt_silent"}
        assert silent == {s.id for s in stations}
