"""Caller IDs: which ones name a resident, and Twilio's placeholders for withheld ones."""

from __future__ import annotations

import pytest

from ivr.phone import WITHHELD_NUMBERS, PhoneInvalid, identifies_caller, is_withheld, normalise


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


@pytest.mark.parametrize(
    ("typed", "e164"),
    [
        ("13812345678", "+8613812345678"),  # a local mobile
        ("138 1234 5678", "+8613812345678"),
        ("138-1234-5678", "+8613812345678"),
        ("１３８１２３４５６７８", "+8613812345678"),  # full-width digits
        ("8613812345678", "+8613812345678"),  # the country code without its plus
        ("008613812345678", "+8613812345678"),  # the international prefix
        ("+8613812345678", "+8613812345678"),  # already E.164: kept
        ("+86 138 1234 5678", "+8613812345678"),
        ("020-12345678", "+862012345678"),  # Guangzhou: area code 20, trunk 0 dropped
        ("(020) 8888 7777", "+862088887777"),
        ("０２０－１２３４５６７８", "+862012345678"),
        ("+86 (0)20 1234 5678", "+862012345678"),  # the trunk 0 written in brackets
        ("010-1234-5678", "+861012345678"),  # Beijing
        ("0755-1234567", "+867551234567"),  # a three-digit area code, 7-digit number
        ("+85291234567", "+85291234567"),  # Hong Kong, E.164 as typed
        ("+1 202 555 0123", "+12025550123"),
        (" 13812345678 ", "+8613812345678"),
    ],
)
def test_numbers_people_type_are_written_in_e164(typed, e164):
    assert normalise(typed) == e164
    assert normalise(e164) == e164  # and normalising is idempotent


@pytest.mark.parametrize(
    ("typed", "says"),
    [
        ("", "请填写电话号码"),
        ("   ", "请填写电话号码"),
        ("1381234567", "不是有效的手机号"),  # ten digits
        ("138123456789", "不是有效的手机号"),  # twelve
        ("12812345678", "不是有效的手机号"),  # no mobile starts 12
        ("12345678", "缺少区号"),  # a fixed line without its area code
        ("8888777", "缺少区号"),
        ("020-1234", "不是有效的电话号码"),
        ("abc", "不是有效的电话号码"),
        ("13812345678x", "不是有效的电话号码"),
        ("138 1234 5678 ext 2", "不是有效的电话号码"),
        ("+", "不是有效的电话号码"),
        ("+0123456789", "不是有效的电话号码"),
        ("+86 138 1234 abcd", "不是有效的电话号码"),
        ("+12345678901234567", "不是有效的电话号码"),  # longer than E.164 allows
        ("+266696687", "不是有效的电话号码"),  # ANONYMOUS: no one's phone
        ("<script>", "不是有效的电话号码"),
    ],
)
def test_what_is_not_a_phone_number_is_refused_saying_how_to_write_one(typed, says):
    with pytest.raises(PhoneInvalid) as refused:
        normalise(typed)
    assert says in str(refused.value)
    assert len(str(refused.value)) < 200  # the typed text is quoted, cut short
