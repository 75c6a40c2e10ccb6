"""What spreadsheet cells bring in, and what the parsers make of it."""

import datetime as dt

import pytest

from shanzhi.imports import cells
from tests.factories import make_id_number

ID = make_id_number("19800101", 123)


def test_id_numbers_as_typed_on_every_keyboard():
    with_x = next(make_id_number("19800101", n) for n in range(100, 999) if make_id_number("19800101", n).endswith("X"))
    assert cells.parse_id_number(with_x.lower()) == with_x
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in ID)
    assert cells.parse_id_number(full_width[:6] + "\u3000" + full_width[6:]) == ID
    assert cells.parse_id_number(f" {ID[:6]} {ID[6:14]} {ID[14:]} ") == ID
    assert cells.parse_id_number(int(ID)) == ID  # an exact integer (as openpyxl writes it) keeps every digit


def test_id_numbers_excel_turned_into_numbers_are_refused_with_the_reason():
    with pytest.raises(cells.CellError) as caught:
        cells.parse_id_number(float(ID))
    assert caught.value.code == "id_stored_as_number"
    assert "丢失" in caught.value.message or "lost" in caught.value.message
    with pytest.raises(cells.CellError) as caught:
        cells.parse_id_number("2.30381E+17")
    assert caught.value.code == "id_stored_as_number"
    with pytest.raises(cells.CellError) as caught:
        cells.parse_id_number(ID[:15] + "000")
    assert caught.value.code in ("id_stored_as_number", "id_checksum")


def test_id_number_checks():
    wrong = ID[:17] + ("0" if ID[17] != "0" else "1")
    with pytest.raises(cells.CellError) as caught:
        cells.parse_id_number(wrong)
    assert caught.value.code == "id_checksum"
    assert "校验" in caught.value.message
    with pytest.raises(cells.CellError) as caught:
        cells.parse_id_number(ID[:10])
    assert caught.value.code == "id_length"
    masked = cells.parse_id_number(ID[:6] + "********" + ID[-4:])
    assert isinstance(masked, cells.Masked) and masked.text == ID[:6] + "********" + ID[-4:]


def test_phones():
    assert cells.parse_phone(13812345678) == "13812345678"
    assert cells.parse_phone(13812345678.0) == "13812345678"
    assert cells.parse_phone("１３８ １２３４ ５６７８") == "13812345678"
    assert cells.parse_phone("+86 138-1234-5678".replace("-", "")) == "13812345678"
    assert cells.parse_phone("0467-5822345") == "0467-5822345"
    assert isinstance(cells.parse_phone("138****5678"), cells.Masked)
    for bad in ("12345", "1381234567", "1.38123E+10"):
        with pytest.raises(cells.CellError) as caught:
            cells.parse_phone(bad)
        assert caught.value.code == "phone_format"


def test_dates_in_every_form_townships_use():
    assert cells.parse_date(44927) == dt.date(2023, 1, 1)  # an Excel serial day
    assert cells.parse_date(44927.5) == dt.date(2023, 1, 1)
    assert cells.parse_date("44927") == dt.date(2023, 1, 1)
    assert cells.parse_date(dt.datetime(2023, 1, 1, 0, 0)) == dt.date(2023, 1, 1)
    for written in ("2023-01-01", "2023/1/1", "2023.01.01", "2023年1月1日", "20230101", "２０２３－０１－０１"):
        assert cells.parse_date(written) == dt.date(2023, 1, 1), written
    for bad in ("2023-13-01", "明天", "1/1/23", 0):
        with pytest.raises(cells.CellError) as caught:
            cells.parse_date(bad)
        assert caught.value.code == "date_format"
        assert "2024-03-01" in caught.value.message


def test_text_and_headers():
    assert cells.text("  李\u3000桂君 ") == "李 桂君"
    assert cells.parse_name("李 桂 君") == "李桂君"
    assert cells.header_key("* 身份证号码（必填）") == "身份证号码"
    assert cells.header_key("联系电话\n(手机)") == "联系电话"
    assert cells.place_key("永和村 第一网格") == cells.place_key("永和村第1网格") == cells.place_key("永和村/第01网格")
    assert cells.place_key("第十二网格") == "第12网格"
    assert cells.chinese_number("二十一") == 21


def test_formula_injection_is_neutralised_and_undone():
    for dangerous in ("=1+2", "+861380000", "-3", "@SUM(A1)"):
        assert cells.neutralise(dangerous) == "'" + dangerous
        assert cells.unneutralise(cells.neutralise(dangerous)) == dangerous
    assert cells.neutralise("永和村") == "永和村"
    assert cells.neutralise(-3) == -3  # numbers are numbers, not formulas
    assert cells.is_formula("=ROW()-1") and not cells.is_formula("'=ROW()")


def test_choices_take_codes_chinese_labels_and_synonyms():
    from shanzhi.imports.kinds.people import party_member, relation

    assert relation("户主") == "head"
    assert relation("妻") == "spouse"
    assert relation("长子") == "son"
    assert party_member("中共党员") is True and party_member("群众") is False
    with pytest.raises(cells.CellError) as caught:
        relation("邻居")
    assert caught.value.code == "unknown_choice"
    assert "配偶" in caught.value.message


def test_no_header_means_two_things_in_one_kind():
    from shanzhi.imports.kinds import KINDS
    from shanzhi.imports.kinds.base import COMMON_IGNORED

    for name, kind in KINDS.items():
        meanings: dict[str, set] = {}
        for header in (*COMMON_IGNORED, *kind.ignored):
            meanings.setdefault(cells.header_key(header), set()).add("")
        for spec in kind.fields:
            for key in spec.keys():
                meanings.setdefault(key, set()).add(spec.name)
        assert {k: v for k, v in meanings.items() if len(v) > 1} == {}, name
