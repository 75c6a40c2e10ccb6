import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from shanzhi.core.masking import mask_id_number, mask_phone
from shanzhi.core.validators import (
    id_check_character,
    id_number_birth_date,
    id_number_gender,
    normalize_id_number,
    validate_id_number,
    validate_phone,
)
from tests.factories import make_id_number

# A published GB 11643 example: the check character of 11010519491231002 is X.
KNOWN = "11010519491231002X"


def test_known_check_character():
    assert id_check_character(KNOWN[:17]) == "X"
    assert validate_id_number(KNOWN) == KNOWN


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("11010519491231002x", KNOWN),  # lowercase x from a spreadsheet
        ("１１０１０５１９４９１２３１００２Ｘ", KNOWN),  # full-width digits
        (" 110105 19491231 002X ", KNOWN),  # spaces
    ],
)
def test_normalisation(raw, expected):
    assert validate_id_number(raw) == expected


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "required"),
        ("11010519491231002", "id_length"),
        ("1101051949123100XX", "id_characters"),
        ("99010519491231002X", "id_region"),
        ("110105194913310021", "id_birth_date"),
        ("110105194912310021", "id_checksum"),
    ],
)
def test_invalid_id_numbers_say_what_is_wrong(raw, code):
    with pytest.raises(ValidationError) as info:
        validate_id_number(raw)
    assert info.value.code == code
    assert info.value.messages[0]


def test_birth_date_and_gender_are_derived():
    number = make_id_number("19460312", 111)
    assert id_number_birth_date(number) == dt.date(1946, 3, 12)
    assert id_number_gender(number) == "male"
    assert id_number_gender(make_id_number("19460312", 112)) == "female"


@given(
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31)),
    st.integers(min_value=0, max_value=999),
)
def test_every_generated_number_validates_and_any_single_digit_change_is_caught(birth, seq):
    number = make_id_number(birth.strftime("%Y%m%d"), seq)
    assert validate_id_number(number) == number
    changed = number[:16] + str((int(number[16]) + 1) % 10) + number[17]
    with pytest.raises(ValidationError):
        validate_id_number(changed)


@given(st.text(max_size=40))
def test_validator_never_crashes_on_arbitrary_text(text):
    try:
        validate_id_number(text)
    except ValidationError:
        pass


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("13812345678", "13812345678"), ("+86 138 1234 5678", "13812345678"), ("0467-5822345", "0467-5822345"),
     ("", "")],
)
def test_valid_phones(raw, expected):
    assert validate_phone(raw) == expected


@pytest.mark.parametrize("raw", ["1381234567", "23812345678", "12345", "phone"])
def test_invalid_phones(raw):
    with pytest.raises(ValidationError) as info:
        validate_phone(raw)
    assert info.value.code == "phone_format"


def test_masking():
    assert mask_id_number("230381194603121114") == "230381********1114"
    assert mask_phone("13812345678") == "138****5678"
    assert "5822345" not in mask_phone("0467-5822345")
    assert normalize_id_number(None) == ""
