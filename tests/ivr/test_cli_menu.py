from importlib.resources import files

import pytest

from ivr.menus.default_menu import default_menu_yaml

DEMO = files("ivr") / "demo_data"
GOOD = """start: hello
languages: [zh]
nodes:
  hello:
    kind: message
    prompt: {zh: 您好}
    next: record
  record:
    kind: voicemail
    prompt: {zh: 请留言}
    tags: [food]
"""


@pytest.fixture
def registry(runner):
    runner.invoke("districts", "import", str(DEMO / "districts.csv"))
    assert runner.invoke("stations", "import", str(DEMO / "stations.csv")).exit_code == 0


def test_validate_accepts_the_default_template(runner, tmp_path, registry):
    path = tmp_path / "menu.yaml"
    path.write_text(default_menu_yaml(["zh", "yue", "en"]), encoding="utf-8")
    result = runner.invoke("menu", "validate", str(path))
    assert result.exit_code == 0, result.output
    assert "valid, 14 nodes" in result.output


def test_validate_names_each_problem_by_node_path(runner, tmp_path, registry):
    path = tmp_path / "bad.yaml"
    path.write_text(
        GOOD.replace("next: record", "next: recrod").replace(
            "tags: [food]", "tags: [food]\n  away:\n    kind: transfer\n    station: atlantis"
        ),
        encoding="utf-8",
    )
    result = runner.invoke("menu", "validate", str(path))
    assert result.exit_code == 1
    assert "nodes.hello.next" in result.output and "recrod" in result.output
    assert "nodes.away.station" in result.output and "atlantis" in result.output


def test_load_publish_and_show(runner, tmp_path, registry):
    path = tmp_path / "menu.yaml"
    path.write_text(GOOD, encoding="utf-8")
    draft = runner.invoke("menu", "load", "haizhu-nanzhou", str(path))
    assert draft.exit_code == 0 and "version 1 saved as a draft" in draft.output
    shown = runner.invoke("menu", "show", "haizhu-nanzhou")
    assert "default template (nothing published)" in shown.output

    published = runner.invoke("menu", "load", "haizhu-nanzhou", str(path), "--publish")
    assert "version 2 published" in published.output
    shown = runner.invoke("menu", "show", "haizhu-nanzhou")
    assert "published version" in shown.output
    assert "hello (message)  “您好”" in shown.output
    assert "next: record (voicemail tags=food priority=normal max=120s)" in shown.output


def test_load_refuses_an_invalid_menu_and_stores_nothing(runner, tmp_path, registry):
    path = tmp_path / "bad.yaml"
    path.write_text("start: nowhere\nlanguages: [zh]\nnodes: {}\n", encoding="utf-8")
    result = runner.invoke("menu", "load", "haizhu-nanzhou", str(path), "--publish")
    assert result.exit_code == 1 and "the menu is not valid" in result.output
    assert "default template" in runner.invoke("menu", "show", "haizhu-nanzhou").output


def test_simulate_plays_a_call_through_the_webhooks(runner, registry):
    result = runner.invoke("simulate", "--to", "+862083000034", "--keys", "2,1")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "— call"
    assert any("南洲街" in line and "[cmn-CN (85%)]" in line for line in lines)  # slower speech
    assert "— pressed 2" in lines and "— pressed 1" in lines
    assert any("[yue-HK (85%)]" in line and "生活物資" in line for line in lines)
    assert "    [beep: recording up to 120s]" in lines
    assert lines[-1] == "    [hang up]"


def test_simulate_a_forward_nobody_answers(runner, registry):
    result = runner.invoke("simulate", "--to", "+862083000034", "--keys", "1,0")
    assert "    [ringing +8613800000034 as +862083000034]" in result.output.splitlines()
    assert "— rang +8613800000034: no-answer" in result.output


def test_simulate_an_unknown_number(runner, registry):
    result = runner.invoke("simulate", "--to", "+10000000000")
    assert result.exit_code == 0
    assert "暂未开通" in result.output
