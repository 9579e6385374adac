"""Caller IDs: which ones name a resident, and Twilio's placeholders for withheld ones."""

from __future__ import annotations

import pytest

from ivr.phone import WITHHELD_NUMBERS, identifies_caller, is_withheld


@pytest.mark.parametrize(
    "number",
    [
        "+266696687",  # ANONYMOUS on a keypad
        "+86282452253",  # UNAVAILABLE
        "+7378742833",  # RESTRICTED
        "+2562533",  # BLOCKED
        "+8656696",  # UNKNOWN
        "266696687",  # the placeholder without its plus
        "anonymous",
        "Restricted",
        " UNKNOWN ",
        "unavailable",
        "private",
        "blocked",
        "",
        None,
    ],
)
def test_withheld_caller_ids_identify_no_one(number):
    assert is_withheld(number)
    assert not identifies_caller(number)


@pytest.mark.parametrize("number", ["+8613912345678", "+12025550123", "+2662669668"])
def test_real_numbers_identify_their_caller(number):
    assert not is_withheld(number)
    assert identifies_caller(number)


def test_not_withheld_but_not_a_number_either():
    # A SIP or client address is someone, but not a number to make a Caller for.
    assert not is_withheld("client:anna")
    assert not identifies_caller("client:anna")


def test_every_placeholder_spells_its_meaning_on_a_keypad():
    keypad = {
        c: str(d)
        for d, letters in enumerate(
            ["", "", "ABC", "DEF", "GHI", "JKL", "MNO", "PQRS", "TUV", "WXYZ"]
        )
        for c in letters
    }
    for number, word in WITHHELD_NUMBERS.items():
        assert number == "+" + "".join(keypad[c] for c in word)
