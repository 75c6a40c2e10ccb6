"""Turn what a spreadsheet cell holds into a value, or a message saying what is wrong.

Cells arrive as text, numbers, dates or formulas, typed by people on every kind of
keyboard: full-width digits, ideographic spaces, a lowercase x, ID numbers Excel
turned into numbers, dates as serial numbers. Each parser accepts what is meant and
refuses what is not, with a message naming the problem.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.translation import gettext as _

from shanzhi.core.validators import validate_id_number, validate_phone

NEUTRALISE = ("=", "+", "-", "@", "\t", "\r")
_SPACES = re.compile(r"\s+")
_CJK_GAP = re.compile(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])")
_SCIENTIFIC = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_DATE_PATTERNS = [
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T].*)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
]
EXCEL_EPOCH = dt.date(1899, 12, 30)


class CellError(Exception):
    """A cell's value is refused. ``code`` groups messages in the report."""

    def __init__(self, message: str, code: str):
        self.message = message
        self.code = code
        super().__init__(message)


class Masked:
    """A value shown masked in an export (``230381********1234``, ``138****5678``).

    It cannot be written; it can only be compared with what is stored.
    """

    __slots__ = ("text",)

    def __init__(self, text: str):
        self.text = text

    def __eq__(self, other):
        return isinstance(other, Masked) and other.text == self.text

    def __hash__(self):
        return hash(self.text)

    def __repr__(self):
        return f"Masked({self.text})"


def is_formula(value) -> bool:
    return isinstance(value, str) and value.startswith("=") and len(value) > 1


def neutralise(value):
    """Prefix text that a spreadsheet would run as a formula (formula injection)."""
    if isinstance(value, str) and value.startswith(NEUTRALISE):
        return "'" + value
    return value


def unneutralise(value):
    if isinstance(value, str) and len(value) > 1 and value[0] == "'" and value[1] in "=+-@\t\r":
        return value[1:]
    return value


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(value) -> str:
    """Half-width, trimmed, single-spaced text of any cell value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    value = str(value)
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
        if "\u200b" in value or "\ufeff" in value:
            value = value.replace("\u200b", "").replace("\ufeff", "")
    return " ".join(value.split())


def header_key(value) -> str:
    """How headers are compared: no spaces, no required-marks, no notes in brackets."""
    key = text(value)
    key = re.sub(r"[\((\[【].*?[\))\]】]", "", key)
    key = re.sub(r"[\s*※:：#]", "", key)
    return key.lower()


def display(value, limit: int = 60) -> str:
    shown = text(value)
    return shown if len(shown) <= limit else shown[: limit - 1] + "…"


# --- parsers: each takes the raw cell value (never blank) and returns the clean value ------------


def parse_text(value, *, max_length: int = 200) -> str:
    result = text(value)
    if len(result) > max_length:
        raise CellError(
            _("Too long: at most %(n)s characters, this has %(m)s.") % {"n": max_length, "m": len(result)},
            "too_long",
        )
    return result


def parse_name(value, *, max_length: int = 50) -> str:
    """A person's name: spaces between Chinese characters are typing slips."""
    result = _CJK_GAP.sub("", text(value))
    if len(result) > max_length:
        raise CellError(
            _("Too long: at most %(n)s characters, this has %(m)s.") % {"n": max_length, "m": len(result)},
            "too_long",
        )
    if any(ch.isdigit() for ch in result):
        raise CellError(_("A name should not contain digits."), "name_format")
    return result


def parse_code(value, *, max_length: int = 40) -> str:
    result = text(value).replace(" ", "")
    if not re.fullmatch(r"[0-9A-Za-z][0-9A-Za-z_-]*", result):
        raise CellError(_("A code may contain only letters, digits, - and _."), "code_format")
    if len(result) > max_length:
        raise CellError(
            _("Too long: at most %(n)s characters, this has %(m)s.") % {"n": max_length, "m": len(result)},
            "too_long",
        )
    return result


def parse_id_number(value):
    """An 18-character ID number, or :class:`Masked` when the cell holds an export's masked form."""
    if isinstance(value, float):
        _lost_digits(f"{value:.0f}")  # Excel keeps 15 significant digits of a number
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    raw = text(value).lstrip("'")
    if _SCIENTIFIC.match(raw.replace(" ", "")):
        _lost_digits(raw)
    if "*" in raw:
        compact = raw.replace(" ", "")
        if re.fullmatch(r"\d{6}\*{8}\d{3}[\dXx]", compact):
            return Masked(compact.upper())
        raise CellError(_("This ID number is masked (contains *); enter the full number."), "masked_value")
    try:
        return validate_id_number(raw)
    except ValidationError as exc:
        if exc.code == "id_checksum" and raw.endswith("000"):
            _lost_digits(raw)  # what a number-formatted column saved as CSV looks like
        raise CellError(exc.messages[0], exc.code or "id_number") from None


def _lost_digits(shown: str):
    raise CellError(
        _(
            "Excel stored this ID number as a number and lost its last digits (it reads %(value)s). Set the "
            "column's format to Text, type the full numbers again, and re-import."
        )
        % {"value": shown},
        "id_stored_as_number",
    )


def parse_phone(value):
    if isinstance(value, float) and value.is_integer():
        value = str(int(value))
    elif isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    raw = text(value).lstrip("'")
    if "*" in raw:
        compact = raw.replace(" ", "")
        if re.fullmatch(r"\d{3}\*{4}\d{4}|[\d-]*\*{4}\d{4}", compact):
            return Masked(compact)
        raise CellError(_("This phone number is masked (contains *); enter the full number."), "masked_value")
    if _SCIENTIFIC.match(raw):
        raise CellError(
            _("Excel stored this phone number in scientific notation (%(value)s); set the column to Text.")
            % {"value": raw},
            "phone_format",
        )
    try:
        return validate_phone(raw)
    except ValidationError as exc:
        raise CellError(exc.messages[0], "phone_format") from None


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial_date(value)
    raw = text(value).replace(" ", "")
    if re.fullmatch(r"\d{5}(\.\d+)?", raw):
        return _serial_date(float(raw))
    for pattern in _DATE_PATTERNS:
        match = pattern.match(raw)
        if match:
            year, month, day = (int(g) for g in match.groups()[:3])
            try:
                return dt.date(year, month, day)
            except ValueError:
                break
    raise CellError(
        _("Date not recognised: %(value)s. Write dates like 2024-03-01.") % {"value": display(value)}, "date_format"
    )


def _serial_date(serial: float) -> dt.date:
    """An Excel serial day number (1900 system, as Chinese Excel and WPS use)."""
    if not 1 <= serial < 2958466:
        raise CellError(
            _("Date not recognised: %(value)s. Write dates like 2024-03-01.") % {"value": display(serial)},
            "date_format",
        )
    days = int(serial)
    if days < 60:
        days += 1  # Excel counts a 29 February 1900 that never was
    return EXCEL_EPOCH + dt.timedelta(days=days)


TRUE_WORDS = {"是", "y", "yes", "true", "1", "√", "✓", "✔", "有", "对", "t", "真"}
FALSE_WORDS = {"否", "n", "no", "false", "0", "×", "✗", "无", "不是", "f", "假", "/"}


def parse_bool(value, *, extra_true=(), extra_false=()) -> bool:
    if isinstance(value, bool):
        return value
    word = text(value).lower()
    if word in TRUE_WORDS or word in extra_true:
        return True
    if word in FALSE_WORDS or word in extra_false:
        return False
    raise CellError(_("Write 是 or 否 here (it reads %(value)s).") % {"value": display(value)}, "bool_format")


def parse_int(value, *, minimum=None, maximum=None) -> int:
    if isinstance(value, bool):
        raise CellError(_("A whole number is needed here."), "number_format")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        raw = text(value).replace(",", "").replace(" ", "")
        if not re.fullmatch(r"[+-]?\d+(\.0+)?", raw):
            raise CellError(
                _("A whole number is needed here (it reads %(value)s).") % {"value": display(value)}, "number_format"
            )
        number = int(Decimal(raw))
    if minimum is not None and number < minimum:
        raise CellError(_("The number must be at least %(n)s.") % {"n": minimum}, "number_range")
    if maximum is not None and number > maximum:
        raise CellError(_("The number must be at most %(n)s.") % {"n": maximum}, "number_range")
    return number


def parse_float(value, *, minimum=None, maximum=None) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        try:
            number = float(Decimal(text(value).replace(" ", "")))
        except (InvalidOperation, ValueError):
            raise CellError(
                _("A number is needed here (it reads %(value)s).") % {"value": display(value)}, "number_format"
            ) from None
    if (minimum is not None and number < minimum) or (maximum is not None and number > maximum):
        raise CellError(
            _("The number must be between %(min)s and %(max)s.") % {"min": minimum, "max": maximum}, "number_range"
        )
    return number


def split_list(value) -> list[str]:
    return [part for part in re.split(r"[,,、;;|/\s]+", text(value)) if part]


def chinese_label(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


class ChoiceParser:
    """Accepts a choice's code, its Chinese or English label, or a listed synonym."""

    def __init__(self, choices, synonyms: dict[str, str] | None = None):
        self.choices = choices
        self.synonyms = {key.lower(): value for key, value in (synonyms or {}).items()}
        self._lookup = None

    def lookup(self) -> dict[str, str]:
        if self._lookup is None:
            table = {}
            for value, label in self.choices.choices:
                table[value.lower()] = value
                table[text(str(label)).lower()] = value
                table[text(chinese_label(label)).lower()] = value
            table.update(self.synonyms)
            self._lookup = table
        return self._lookup

    def __call__(self, value) -> str:
        key = text(value).lower().replace(" ", "")
        found = self.lookup().get(key)
        if found is None:
            options = "、".join(chinese_label(label) for _, label in self.choices.choices)
            raise CellError(
                _("Unknown value %(value)s; use one of: %(options)s.") % {"value": display(value), "options": options},
                "unknown_choice",
            )
        return found

    def label(self, value) -> str:
        return chinese_label(self.choices(value).label) if value else ""


_CHINESE_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}


def chinese_number(word: str) -> int | None:
    """一 … 九十九 as an integer (the numbers grids and groups are named with)."""
    if not word or any(ch not in _CHINESE_DIGITS and ch != "十" for ch in word):
        return None
    if "十" not in word:
        value = 0
        for ch in word:
            value = value * 10 + _CHINESE_DIGITS[ch]
        return value
    tens, _, ones = word.partition("十")
    return (_CHINESE_DIGITS.get(tens, 1) if tens else 1) * 10 + (_CHINESE_DIGITS.get(ones, 0) if ones else 0)


def place_key(value) -> str:
    """How place names are compared: no spaces or separators, 第一网格 written 第1网格."""
    key = re.sub(r"[\s/\\·・\-—_,,、>＞]+", "", text(value))

    def arabic(match):
        number = chinese_number(match.group(1))
        return match.group(0) if number is None else f"第{number}"

    key = re.sub(r"第([零〇一二两三四五六七八九十]+)", arabic, key)
    key = re.sub(r"(?<=\D)0+(?=\d)", "", key)  # 第01网格 is 第1网格
    return key.lower()
