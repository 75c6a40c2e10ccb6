"""Hypothesis on the parsers that take outside input: ID numbers and phones
(shanzhi/core/validators.py), import cells (shanzhi/imports/cells.py) and Open311 submissions.

Each parser either returns a normalised value or refuses with its own error type; nothing
else escapes, and a refused Open311 submission writes nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shanzhi.core.validators import is_mobile, normalize_phone, validate_id_number, validate_phone
from shanzhi.imports import cells
from tests.factories import make_id_number

FULL_WIDTH = {str(d): chr(0xFF10 + d) for d in range(10)} | {"X": "Ｘ"}
births = st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2020, 12, 31))
mobiles = st.builds(lambda second, rest: f"1{second}{rest:09d}", st.sampled_from("3456789"),
                    st.integers(min_value=0, max_value=999_999_999))
cell_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=40),
    st.dates(), st.datetimes(), st.decimals(allow_nan=False, allow_infinity=False),
)


@given(births, st.integers(min_value=0, max_value=999), st.sampled_from(["", " ", "\t", "\u3000"]))
def test_id_numbers_validate_in_any_width_and_case(birth, seq, pad):
    number = make_id_number(birth.strftime("%Y%m%d"), seq)
    wide = "".join(FULL_WIDTH.get(c, c) for c in number)
    assert validate_id_number(pad + wide + pad) == number
    assert validate_id_number(number.lower()) == number


@given(births, st.integers(min_value=0, max_value=999), st.integers(min_value=0, max_value=16),
       st.integers(min_value=1, max_value=9))
def test_a_changed_digit_is_always_refused(birth, seq, position, delta):
    number = make_id_number(birth.strftime("%Y%m%d"), seq)
    changed = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1:]
    with pytest.raises(ValidationError):
        validate_id_number(changed)


@given(mobiles, st.sampled_from(["", "+86", "+86 ", "0086", "＋８６"]), st.sampled_from(["", " ", "\u3000"]))
def test_mobiles_normalise_whatever_the_separators(mobile, prefix, separator):
    written = prefix + separator.join([mobile[:3], mobile[3:7], mobile[7:]])
    assert validate_phone(written) == mobile
    assert normalize_phone(written) == mobile
    assert is_mobile(mobile)


@given(st.text(max_size=30))
def test_phone_validator_refuses_cleanly(text):
    try:
        value = validate_phone(text)
    except ValidationError:
        return
    assert value == "" or value.replace("-", "").isdigit()


@pytest.mark.parametrize("parser", [cells.parse_id_number, cells.parse_phone, cells.parse_date, cells.parse_int,
                                    cells.parse_float, cells.parse_bool, cells.parse_name, cells.parse_code,
                                    cells.parse_text])
@given(value=cell_values)
@settings(max_examples=150)
def test_import_cells_parse_or_refuse_with_a_cell_error(parser, value):
    try:
        parser(value)
    except cells.CellError as exc:
        assert str(exc)


@given(births, st.integers(min_value=0, max_value=999))
def test_an_id_cell_read_back_from_excel_is_the_number(birth, seq):
    number = make_id_number(birth.strftime("%Y%m%d"), seq)
    assert cells.parse_id_number(number) == number
    assert cells.parse_id_number("'" + number) == number  # a text-prefixed cell
    with pytest.raises(cells.CellError):
        cells.parse_id_number(float(number[:17]))  # stored as a number: the last digits are gone


@given(st.text(max_size=30))
def test_formula_neutralising_round_trips(text):
    assert cells.unneutralise(cells.neutralise(text)) == text
    assert not cells.is_formula(cells.neutralise(text))


OPEN311_KEY = "o311_trust_fuzz_key_0123456789"
fields = st.one_of(st.just(""), st.text(max_size=30), st.floats(allow_nan=True).map(str),
                   st.sampled_from(["infrastructure", "no-such-code", "45.7", "-200", "珍宝岛乡永和村"]))


@pytest.fixture
def open311_key(county):
    from shanzhi.cases.defaults import ensure_default_categories
    from shanzhi.cases.services import issue_open311_key

    ensure_default_categories()
    issue_open311_key(name="fuzz", default_grid=county.grid, actor=None, key=OPEN311_KEY)
    return OPEN311_KEY


@given(service_code=fields, lat=fields, long=fields, address=fields, description=fields, fmt=st.sampled_from(["json", "xml"]))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_open311_submissions_are_accepted_or_refused_never_crash(open311_key, service_code, lat, long, address,
                                                                    description, fmt):
    from django.test import Client

    from shanzhi.cases.models import Case

    before = Case.objects.count()
    response = Client().post(f"/open311/v2/requests.{fmt}", {
        "api_key": open311_key, "service_code": service_code, "lat": lat, "long": long,
        "address_string": address, "description": description,
    })
    assert response.status_code in (200, 201, 400), (response.status_code, response.content[:300])
    if response.status_code == 400:
        assert Case.objects.count() == before
    else:
        assert Case.objects.count() == before + 1
