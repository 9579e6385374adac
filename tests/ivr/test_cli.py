import re
from importlib.resources import files

import click
import pytest
from sqlalchemy import func, select

from ivr.cli import cli
from ivr.stations.users import verify_password
from models import (
    Alert,
    BlockedNumber,
    Call,
    CallbackRequest,
    CallbackState,
    CallOutcome,
    Role,
    Station,
    Ticket,
    User,
    Voicemail,
)
from models.migrate import head_revision

DEMO = files("ivr") / "demo_data"


def _all_commands(group: click.Group, prefix: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*prefix, name)
        if isinstance(command, click.Group):
            yield from _all_commands(command, (*prefix, name))


@pytest.mark.parametrize("path", [(), *_all_commands(cli)], ids=lambda p: " ".join(p) or "ivr")
def test_every_command_explains_itself(runner, path):
    result = runner.invoke(*path, "--help")
    assert result.exit_code == 0, result.output
    assert "Usage:" in result.output
    command = cli
    for name in path:
        command = command.commands[name]
    assert command.help and len(command.help) > 20


def test_db_upgrade_is_safe_to_repeat(runner):
    for _ in range(2):
        result = runner.invoke("db", "upgrade")
        assert result.exit_code == 0
        assert f"database at revision {head_revision()}" in result.output


def test_stations_import_list_and_export(runner, tmp_path):
    assert runner.invoke("districts", "import", str(DEMO / "districts.csv")).exit_code == 0
    result = runner.invoke("stations", "import", str(DEMO / "stations.csv"))
    assert result.exit_code == 0, result.output
    assert "203 created, 0 updated, 0 unchanged" in result.output

    again = runner.invoke("stations", "import", str(DEMO / "stations.csv"))
    assert "0 created, 0 updated, 203 unchanged" in again.output

    listing = runner.invoke("stations", "list", "--district", "海珠区")
    assert "haizhu-nanzhou" in listing.output and "baiyun-huangshi" not in listing.output

    out = tmp_path / "export.csv"
    assert runner.invoke("stations", "export", "-o", str(out)).exit_code == 0
    assert sorted(out.read_text(encoding="utf-8").splitlines()) == sorted(
        (DEMO / "stations.csv").read_text(encoding="utf-8").splitlines()
    )


def test_a_bad_import_exits_non_zero_naming_the_line(runner, tmp_path, db_session):
    runner.invoke("districts", "import", str(DEMO / "districts.csv"))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name_zh,district,hotline_numbers\n"
        "good,好街,haizhu,+862000000001\n"
        "bad,坏街,haizhu,83000001\n",
        encoding="utf-8",
    )
    result = runner.invoke("stations", "import", str(bad))
    assert result.exit_code == 1
    assert "bad.csv: line 3: hotline_numbers: '83000001' is not an E.164 number" in result.output
    assert "no stations were changed" in result.output
    assert db_session.scalar(select(func.count()).select_from(Station)) == 0


def test_users_create_with_each_role(runner, db_session):
    runner.invoke("districts", "import", str(DEMO / "districts.csv"))
    runner.invoke("stations", "import", str(DEMO / "stations.csv"))
    cases = [
        ("w1", "worker", "--station", "baiyun-huangshi"),
        ("s1", "station_admin", "--station", "baiyun-tongde"),
        ("d1", "district_admin", "--district", "baiyun"),
        ("c1", "city_admin"),
    ]
    for username, role, *scope in cases:
        result = runner.invoke(
            "users",
            "create",
            username,
            "--role",
            role,
            *scope,
            input="correct horse battery\ncorrect horse battery\n",
        )
        assert result.exit_code == 0, result.output
    users = {u.username: u for u in db_session.scalars(select(User))}
    assert users["w1"].station.code == "baiyun-huangshi" and users["w1"].role is Role.WORKER
    assert users["d1"].district.code == "baiyun" and users["d1"].station_id is None
    assert users["c1"].station_id is None and users["c1"].district_id is None
    assert verify_password(users["w1"].password_hash, "correct horse battery")
    assert not verify_password(users["w1"].password_hash, "wrong")
    assert "correct horse" not in users["w1"].password_hash


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--role", "worker"), "a worker needs --station"),
        (("--role", "worker", "--station", "nowhere"), "unknown station 'nowhere'"),
        (("--role", "district_admin", "--district", "atlantis"), "unknown district 'atlantis'"),
    ],
)
def test_users_create_refuses_a_scope_that_does_not_fit(runner, args, message):
    result = runner.invoke(
        "users", "create", "someone", *args, input="long enough pw\nlong enough pw\n"
    )
    assert result.exit_code == 1
    assert message in result.output


@pytest.mark.parametrize(
    ("phone", "stored", "message"),
    [
        ("138 1234 5678", "+8613812345678", ""),  # a local mobile, as people write it
        ("020-12345678", "+862012345678", ""),
        ("12345678", None, "缺少区号"),
    ],
)
def test_users_create_writes_the_phone_in_e164(runner, db_session, phone, stored, message):
    result = runner.invoke(
        "users",
        "create",
        "caller",
        "--role",
        "city_admin",
        "--phone",
        phone,
        input="long enough pw\nlong enough pw\n",
    )
    assert result.exit_code == (0 if stored else 1), result.output
    assert message in result.output
    assert db_session.scalar(select(User.phone).where(User.username == "caller")) == stored


def test_users_create_refuses_a_short_password(runner, db_session):
    result = runner.invoke(
        "users", "create", "someone", "--role", "city_admin", input="short\nshort\n"
    )
    assert result.exit_code == 1 and "密码至少需要10个字符" in result.output


def test_demo_seeds_once(runner, db_session):
    first = runner.invoke("demo", "--days", "2")
    assert first.exit_code == 0, first.output
    assert "stations: 203 created" in first.output
    made = re.search(r"activity: (\d+) calls, (\d+) voicemails, (\d+) tickets", first.output)
    assert made and int(made.group(1)) > 203, first.output
    second = runner.invoke("demo", "--days", "2")
    assert second.exit_code == 0, second.output
    assert "stations: 0 created, 0 updated, 203 unchanged" in second.output
    assert "activity: already present" in second.output
    assert "alerts: ticket #" in first.output and "alerts: already there" in second.output
    sent = db_session.execute(select(Alert.step, Alert.channel, Alert.state).order_by(Alert.step))
    assert [(step, c.value, s.value) for step, c, s in sent] == [
        (0, "sms", "sent"),
        (1, "call", "skipped"),  # 南洲街 has one phone on its roster
        (2, "call", "sent"),
    ]
    assert re.search(r"audio: \d+ voicemails given synthesised Mandarin speech", first.output)
    assert "audio: every demo voicemail chosen already has its recording" in second.output
    usernames = set(db_session.scalars(select(User.username)))
    assert {"admin", "nanzhou-worker", "huangshi-worker"} <= usernames
    # The activity, plus the privacy demo's resident (one call, voicemail and ticket) and
    # the block list's number (two calls, one of them blocked, and a ticket).
    assert "try a resident's request on +8613700000001" in first.output
    assert "+8613500000666 blocked at haizhu-nanzhou" in first.output
    assert "+8613500000666 already blocked" in second.output
    # The call-back key at 南洲街: the call that asked and the hotline's call back.
    assert "call-back: 南洲街's menu v2 offers key 6" in first.output
    assert "call-back: 南洲街's menu already offers key 6" in second.output
    [asked] = db_session.scalars(select(CallbackRequest)).all()
    assert asked.state is CallbackState.PLACED and asked.sid
    calls = db_session.scalar(select(func.count()).select_from(Call))
    assert calls == int(made.group(1)) + 3 + 2
    blocked = db_session.scalars(select(Call).where(Call.outcome == CallOutcome.BLOCKED)).all()
    assert [c.from_number for c in blocked] == ["+8613500000666"]
    assert db_session.scalars(select(BlockedNumber.number)).all() == ["+8613500000666"]
    voicemails = db_session.scalar(select(func.count()).select_from(Voicemail))
    assert voicemails == int(made.group(2)) + 1
    # Every demo ticket is a real case: a caller (or a number withheld), a due time, an
    # opening event; the two withheld callers are two cases and no Caller.
    tickets = db_session.scalars(select(Ticket)).all()
    # The referrals' story opens logged cases at 黄石街 when its month has too few; the
    # alerts demo adds an urgent ticket at 南洲街 (no call: its trail is the point), the
    # block list's an earlier urgent ticket from the blocked number.
    logged = re.search(r"referrals: .* \((\d+) cases opened for them\)", first.output)
    opened = int(logged.group(1)) if logged else 0
    # The campaign demo's resident who needs help is one more.
    assert len(tickets) == int(made.group(3)) + 3 + opened + 1
    assert all(t.due_at > t.opened_at and t.events for t in tickets)
    withheld = [t for t in tickets if t.caller_id is None]
    assert len(withheld) == 2 and {t.caller_number for t in withheld} == {"+266696687"}
    # The queue's views have something to show: a case 南洲街 referred out, one unassigned.
    nanzhou = db_session.scalar(select(Station.id).where(Station.code == "haizhu-nanzhou"))
    assert any(
        t.referred_from_station_id == nanzhou and t.status.value != "resolved" for t in tickets
    )
    assert any(t.station_id is None for t in tickets)


def test_before_db_upgrade_a_menu_file_validates_and_other_commands_say_what_to_do(tmp_path):
    import os
    import subprocess
    import sys

    menu = tmp_path / "menu.yaml"
    menu.write_text(
        "start: a\nlanguages: [zh]\nnodes:\n  a:\n    kind: hangup\n    prompt: {zh: 再见}\n"
    )
    env = {**os.environ, "IVR_INSTANCE_DIR": str(tmp_path / "instance")}
    env.pop("IVR_DATABASE_URL", None)

    def ivr(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "ivr.cli", *args]
        return subprocess.run(command, env=env, capture_output=True, text=True, cwd=tmp_path)

    validated = ivr("menu", "validate", str(menu))
    assert validated.returncode == 0, validated.stderr
    assert "valid, 1 nodes" in validated.stdout
    assert "transfers to other stations not checked: no database" in validated.stderr
    listed = ivr("stations", "list")
    assert listed.returncode == 1
    assert (
        listed.stderr.strip() == "Error: the database has no tables yet: run `ivr db upgrade` first"
    )
