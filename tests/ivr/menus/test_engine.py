"""The engine alone: a menu, a station's facts, a position, a key."""

from datetime import UTC, datetime

import pytest

from ivr.menus import engine
from ivr.menus.default_menu import default_menu_yaml
from ivr.menus.engine import CallContext, Dial, Gather, Hangup, MenuLoop, Position, Record
from ivr.menus.hours import OpeningHours
from ivr.menus.validate import parse_menu

NOW = datetime(2022, 4, 11, 2, 0, tzinfo=UTC)


def context(phones=("+8613800000001", "+8613800000002"), open_=True) -> CallContext:  # type: ignore[no-untyped-def]
    hours = OpeningHours(always_open=open_)
    return CallContext({"zh": "南洲街", "en": "Nanzhou"}, "+862083000034", phones, hours, NOW)


@pytest.fixture
def menu():
    return parse_menu(default_menu_yaml(["zh", "yue", "en"])).menu


def test_the_default_menu_starts_with_a_language_choice(menu):
    step = engine.start(menu, context())
    assert isinstance(step.action, Gather)
    assert step.action.position == Position("choose_language", "zh")
    assert [s.language for s in step.action.speech] == ["cmn-CN", "yue-HK", "en-US"]


def test_each_need_leads_to_its_voicemail_with_its_tag(menu):
    main = Position("main", "en")
    expected = {
        "1": ("food", "normal"),
        "2": ("medicine", "high"),
        "3": ("medical", "high"),
        "4": ("emotional", "normal"),
        "5": ("policy", "normal"),
    }
    for key, (need, priority) in expected.items():
        step = engine.press(menu, context(), main, key)
        assert isinstance(step.action, Record)
        assert step.action.tags == (need,) and step.action.priority == priority
        assert step.need == need and step.language == "en"


def test_an_unanswered_language_choice_falls_back_to_the_first_language(menu):
    first = Position("choose_language", "zh")
    again = engine.press(menu, context(), first, "")
    assert again.action.position.attempt == 1
    chosen = engine.press(menu, context(), again.action.position, "")
    assert chosen.language == "zh" and chosen.action.position.node == "main"


def test_simultaneous_forward_rings_everyone_at_once(menu):
    from dataclasses import replace

    forward = replace(menu.nodes["forward_worker"], strategy="simultaneous")
    together = replace(menu, nodes={**menu.nodes, "forward_worker": forward})
    step = engine.press(together, context(), Position("main", "zh"), "0")
    assert isinstance(step.action, Dial)
    assert step.action.numbers == ("+8613800000001", "+8613800000002")
    after = engine.dial_finished(together, context(), step.action.position, "no-answer")
    assert isinstance(after.action, Record)


def test_no_one_on_duty_goes_straight_to_voicemail(menu):
    step = engine.press(menu, context(phones=()), Position("main", "zh"), "0")
    assert isinstance(step.action, Record) and step.action.position.node == "vm_general"


def test_an_answered_forward_ends_the_call(menu):
    step = engine.dial_finished(menu, context(), Position("forward_worker", "zh"), "completed")
    assert isinstance(step.action, Hangup)


def test_positions_the_menu_does_not_have_are_refused(menu):
    with pytest.raises(engine.MenuPositionInvalid):
        engine.press(menu, context(), Position("nowhere", "zh"), "1")
    with pytest.raises(engine.MenuPositionInvalid):
        engine.press(menu, context(), Position("vm_food", "zh"), "1")
    with pytest.raises(engine.MenuPositionInvalid):
        engine.recorded(menu, context(), Position("main", "zh"))


def test_a_loop_that_slipped_past_validation_cannot_trap_a_caller(menu):
    from dataclasses import replace

    from ivr.menus.document import MessageNode

    a = MessageNode(id="a", next="b")
    b = MessageNode(id="b", next="a")
    looped = replace(menu, start="a", nodes={**menu.nodes, "a": a, "b": b})
    with pytest.raises(MenuLoop):
        engine.start(looped, context())


def test_forwards_that_ring_nobody_in_a_circle_cannot_recurse_forever(menu):
    from dataclasses import replace

    from ivr.menus.document import ForwardNode

    f1 = ForwardNode(id="f1", no_answer="f2")
    f2 = ForwardNode(id="f2", no_answer="f1")
    looped = replace(menu, start="f1", nodes={**menu.nodes, "f1": f1, "f2": f2})
    with pytest.raises(MenuLoop):
        engine.start(looped, context(phones=()))


def test_station_name_is_spoken_in_the_callers_language(menu):
    step = engine.start(menu, context())
    assert "南洲街" in step.action.speech[0].text
