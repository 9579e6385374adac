from importlib.resources import files

import pytest
from sqlalchemy import func, select

from ivr.stations.csv_rows import CsvInvalid
from ivr.stations.registry import (
    export_stations,
    import_districts,
    import_stations,
    parse_stations,
)
from models import AuditLog, HotlineNumber, Station

DEMO = files("ivr") / "demo_data"
HEADER = "code,name_zh,name_en,district,hotline_numbers,languages,timezone,on_duty_phones\n"
SEED_STATIONS = {
    "haizhu": {"南洲街"},
    "baiyun": {"松洲街", "黄石街", "同德街"},
    "huadu": {"花城街"},
    "nansha": {"大岗镇", "龙穴街", "南沙街"},
}


@pytest.fixture
def demo_districts(db_session):
    import_districts(db_session, (DEMO / "districts.csv").read_bytes())


@pytest.fixture
def demo_stations(db_session, demo_districts):
    return import_stations(db_session, (DEMO / "stations.csv").read_bytes())


def test_the_demo_registry_covers_guangzhou(db_session, demo_stations):
    stations = list(db_session.scalars(select(Station)))
    assert len(stations) >= 200
    assert len(demo_stations.created) == len(stations)
    assert len({s.district.code for s in stations}) == 11
    numbers = list(db_session.scalars(select(HotlineNumber.number)))
    assert len(numbers) == len(set(numbers)) >= len(stations)
    by_district = {}
    for s in stations:
        by_district.setdefault(s.district.code, set()).add(s.name_zh)
    for district, names in SEED_STATIONS.items():
        assert names <= by_district[district]


def test_importing_twice_changes_nothing(db_session, demo_stations):
    before = export_stations(db_session)
    updated_at = dict(db_session.execute(select(Station.code, Station.updated_at)).all())
    again = import_stations(db_session, (DEMO / "stations.csv").read_bytes())
    assert again.created == [] and again.updated == []
    assert len(again.unchanged) == len(demo_stations.created)
    assert export_stations(db_session) == before
    assert dict(db_session.execute(select(Station.code, Station.updated_at)).all()) == updated_at


def test_export_then_import_round_trips(db_session, demo_stations):
    exported = export_stations(db_session)
    result = import_stations(db_session, exported.encode())
    assert result.created == [] and result.updated == []
    assert export_stations(db_session) == exported
    original = sorted((DEMO / "stations.csv").read_text(encoding="utf-8").splitlines()[1:])
    assert sorted(exported.splitlines()[1:]) == original


def test_an_import_updates_and_moves_numbers_between_listed_stations(db_session, demo_districts):
    import_stations(
        db_session,
        (
            HEADER + "a,甲街,,haizhu,+862000000001;+862000000002,zh,,\n"
            "b,乙街,,haizhu,+862000000003,zh;yue,,+8613900000001\n"
        ).encode(),
    )
    result = import_stations(
        db_session,
        (
            HEADER + "a,甲街,,haizhu,+862000000001,zh,,\n"
            "b,乙街,B Street,海珠区,+862000000003;+862000000002,zh;yue;en,,"
            "+8613900000002;+8613900000001\n"
        ).encode(),
    )
    assert sorted(result.updated) == ["a", "b"]
    b = db_session.scalar(select(Station).where(Station.code == "b"))
    assert [n.number for n in b.hotline_numbers] == ["+862000000003", "+862000000002"]
    assert [p.number for p in b.on_duty_phones] == ["+8613900000002", "+8613900000001"]
    assert b.languages == ["zh", "yue", "en"] and b.name_en == "B Street"


def test_a_reimport_keeps_what_admins_gave_phones_and_makes_open_forms_stale(
    db_session, demo_districts
):
    first = HEADER + "b,乙街,,haizhu,+862000000003,zh,,+8613900000001;+8613900000002\n"
    import_stations(db_session, first.encode())
    b = db_session.scalar(select(Station).where(Station.code == "b"))
    b.on_duty_phones[0].name = "值班社工"
    b.on_duty_phones[1].active = False
    db_session.commit()
    version = b.settings_version
    import_stations(db_session, first.encode())  # the same roster: nothing happens
    assert b.settings_version == version
    assert db_session.scalar(select(func.count()).select_from(AuditLog)) == 0
    reordered = HEADER + "b,乙街,,haizhu,+862000000003,zh,,+8613900000002;+8613900000001\n"
    import_stations(db_session, reordered.encode())
    phones = {p.number: (p.position, p.name, p.active) for p in b.on_duty_phones}
    assert phones == {
        "+8613900000002": (0, "", False),
        "+8613900000001": (1, "值班社工", True),
    }
    assert b.settings_version == version + 1
    audit = db_session.scalars(select(AuditLog)).one()
    assert (audit.action, audit.station_id) == ("stations.import", b.id)


BAD_FILES = {
    "unknown column": (
        HEADER.replace("timezone", "tz") + "a,甲,,haizhu,+862000000001,zh,,\n",
        ["line 1: unknown column(s) tz"],
    ),
    "missing column": (
        "code,name_zh,district\na,甲,haizhu\n",
        ["line 1: missing required column(s) hotline_numbers"],
    ),
    "wrong field count": (
        HEADER + "a,甲,,haizhu,+862000000001,zh,Asia/Shanghai\n",
        ["line 2: 7 fields, but the header has 8"],
    ),
    "not E.164": (
        HEADER + "a,甲,,haizhu,020-83000001,zh,,\n",
        ["line 2: hotline_numbers: '020-83000001' is not an E.164 number"],
    ),
    "unknown district": (
        HEADER + "a,甲,,atlantis,+862000000001,zh,,\n",
        ["line 2: unknown district 'atlantis'"],
    ),
    "number twice in the file": (
        HEADER + "a,甲,,haizhu,+862000000001,zh,,\nb,乙,,haizhu,+862000000001,zh,,\n",
        ["line 3: hotline number +862000000001 repeats line 2"],
    ),
    "code twice": (
        HEADER + "a,甲,,haizhu,+862000000001,zh,,\na,乙,,haizhu,+862000000002,zh,,\n",
        ["line 3: code 'a' repeats line 2"],
    ),
    "bad timezone and language": (
        HEADER + "a,甲,,haizhu,+862000000001,zh;Cantonese,Mars/Base,\n",
        ["line 2: language 'Cantonese'", "line 2: unknown timezone"],
    ),
    "not UTF-8": ("甲街", ["line 1: the file is not UTF-8"]),
    "empty": ("", ["line 1: the file is empty"]),
}


@pytest.mark.parametrize("name", list(BAD_FILES))
def test_a_bad_file_names_its_lines_and_changes_nothing(db_session, demo_stations, name):
    text, expected = BAD_FILES[name]
    # The GBK file is what a spreadsheet on a Chinese Windows desktop saves by default.
    data = (
        (HEADER + f"a,{text},,haizhu,+862000000001,zh,,\n").encode("gbk")
        if (name == "not UTF-8")
        else text.encode()
    )
    before = export_stations(db_session)
    with pytest.raises(CsvInvalid) as caught:
        import_stations(db_session, data)
    messages = [str(e) for e in caught.value.errors]
    for fragment in expected:
        assert any(m.startswith(fragment) for m in messages), messages
    db_session.rollback()
    assert export_stations(db_session) == before


def test_a_number_owned_by_a_station_not_in_the_file_is_refused(db_session, demo_stations):
    nanzhou = db_session.scalar(select(Station).where(Station.code == "haizhu-nanzhou"))
    taken = nanzhou.hotline_numbers[0].number
    bad = HEADER + f"new-one,新街,,haizhu,+862000000009,zh,,\nnew-two,新二街,,haizhu,{taken},zh,,\n"
    with pytest.raises(CsvInvalid) as caught:
        import_stations(db_session, bad.encode())
    assert [str(e) for e in caught.value.errors] == [
        f"line 3: hotline number {taken} is already used by station haizhu-nanzhou"
    ]
    assert db_session.scalar(select(func.count()).where(Station.code.like("new-%"))) == 0


def test_every_bad_row_is_reported_in_one_run(db_session, demo_districts):
    text = HEADER + (
        "ok,好街,,haizhu,+862000000001,zh,,\n"
        "Bad Code,坏街,,haizhu,+862000000002,zh,,\n"
        "x,,,nowhere,12345,zh,,\n"
    )
    with pytest.raises(CsvInvalid) as caught:
        parse_stations(db_session, text.encode())
    lines = [e.line for e in caught.value.errors]
    assert lines == sorted(lines) and set(lines) == {3, 4}
    assert len(caught.value.errors) == 4  # bad code; empty name, district, number on line 4
