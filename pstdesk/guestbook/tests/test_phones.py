from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pstdesk.lib.phones import is_valid_whatsapp, normalize_whatsapp


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("081234567890", "+6281234567890"),
        ("6281234567890", "+6281234567890"),
        ("+62 812-3456-7890", "+6281234567890"),
        ("+62 (812) 3456 7890", "+6281234567890"),
        ("0821-2211-5101", "+6282122115101"),
        ("085173215102", "+6285173215102"),
        ("  0812 3456 7890  ", "+6281234567890"),
        ("+65 9123 4567", "+6591234567"),
        ("+1 650 253 0000", "+16502530000"),
    ],
)
def test_normalises_to_e164(raw: str, expected: str) -> None:
    assert normalize_whatsapp(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "12", "abc", "0812-ABCD-7890", "+62 8", "1" * 41, "---", "+999 1234567"])
def test_invalid_numbers_raise_a_clear_error(raw: str) -> None:
    with pytest.raises(ValueError) as info:
        normalize_whatsapp(raw)
    assert "WhatsApp" in str(info.value)
    assert not is_valid_whatsapp(raw)


subscriber = st.text(alphabet="0123456789", min_size=8, max_size=9)


@given(subscriber, st.sampled_from(["0812{}", "62812{}", "+62812{}", "+62 812-{}", "(0812) {}", "0812.{}"]))
def test_every_indonesian_way_of_writing_a_mobile_number_agrees(digits: str, pattern: str) -> None:
    expected = normalize_whatsapp("0812" + digits)
    assert normalize_whatsapp(pattern.format(digits)) == expected
    assert expected.startswith("+62812")


@given(st.text(max_size=50))
def test_any_text_either_normalises_idempotently_or_raises_value_error(raw: str) -> None:
    try:
        value = normalize_whatsapp(raw)
    except ValueError:
        return
    assert value.startswith("+")
    assert value[1:].isdigit()
    assert normalize_whatsapp(value) == value
