import importlib.util
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[3]


def test_english_is_one_click_away_and_chinese_is_the_default(world, login):
    browser = login("worker-a")
    assert "回电队列" in browser.get("/console/").get_data(as_text=True)
    page = browser.post("/console/language", lang="en", next="/console/").get_data(as_text=True)
    assert "Call-back queue" in page and "回电队列" not in page
    assert '<html lang="en">' in page


def test_every_interface_message_has_an_english_translation(tmp_path):
    spec = importlib.util.spec_from_file_location("english", ROOT / "scripts" / "english.py")
    english = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(english)
    ids = {m.id for m in english.extract(tmp_path / "messages.pot") if m.id}
    assert ids - set(english.ENGLISH) == set()
    with (ROOT / "ivr/translations/en/LC_MESSAGES/messages.po").open("rb") as handle:
        shipped = {m.id: m.string for m in read_po(handle) if m.id}
    assert shipped == {i: english.ENGLISH[i] for i in ids}, "run scripts/english.py"
