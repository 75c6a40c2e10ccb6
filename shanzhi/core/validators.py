"""Parsers and validators for the personal identifiers rural records carry.

ID numbers follow GB 11643-1999 (18 characters, ISO 7064 MOD 11-2 check character);
phones are mainland mobiles (11 digits) or landlines with an area code.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_FULL_WIDTH = {ord(c): ord(c) - 0xFEE0 for c in "０１２３４５６７８９ＸｘＡＢＣＤＥＦ－＋"}
_FULL_WIDTH[0x3000] = ord(" ")
_ID_RE = re.compile(r"^\d{17}[\dX]$")
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}-?\d{7,8}$")
# Province-level prefixes of administrative division codes (GB/T 2260).
_PROVINCES = {
    "11",
    "12",
    "13",
    "14",
    "15",
    "21",
    "22",
    "23",
    "31",
    "32",
    "33",
    "34",
    "35",
    "36",
    "37",
    "41",
    "42",
    "43",
    "44",
    "45",
    "46",
    "50",
    "51",
    "52",
    "53",
    "54",
    "61",
    "62",
    "63",
    "64",
    "65",
    "71",
    "81",
    "82",
}


def to_half_width(value: str) -> str:
    return value.translate(_FULL_WIDTH)


def normalize_id_number(value) -> str:
    """Full-width digits, spaces and a lowercase x are what spreadsheets bring in."""
    if value is None:
        return ""
    text = to_half_width(str(value)).strip().replace(" ", "").replace("-", "")
    return text.upper()


def id_check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def id_number_birth_date(id_number: str) -> dt.date:
    return dt.date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))


def id_number_gender(id_number: str) -> str:
    return "male" if int(id_number[16]) % 2 else "female"


def validate_id_number(value) -> str:
    """Return the normalised ID number or raise a ValidationError saying what is wrong."""
    number = normalize_id_number(value)
    if not number:
        raise ValidationError(_("Please enter the ID number."), code="required")
    if len(number) != 18:
        raise ValidationError(
            _("The ID number must be 18 characters; it currently has %(n)d."),
            code="id_length",
            params={"n": len(number)},
        )
    if not _ID_RE.match(number):
        raise ValidationError(
            _("The ID number may contain only digits; the last character may be X."), code="id_characters"
        )
    if number[:2] not in _PROVINCES:
        raise ValidationError(
            _("The first two digits of the ID number are not a valid province code."), code="id_region"
        )
    try:
        birth = id_number_birth_date(number)
    except ValueError:
        raise ValidationError(_("The date of birth in the ID number is invalid."), code="id_birth_date") from None
    if birth.year < 1890 or birth > dt.date.today():  # noqa: DTZ011 - a calendar date, not a moment
        raise ValidationError(_("The date of birth in the ID number is invalid."), code="id_birth_date")
    if id_check_character(number[:17]) != number[17]:
        raise ValidationError(_("The ID number check digit is incorrect. Please verify it."), code="id_checksum")
    return number


def normalize_phone(value) -> str:
    if value is None:
        return ""
    text = to_half_width(str(value)).strip()
    text = re.sub(r"[\s()()]", "", text)
    if text.startswith("+86"):
        text = text[3:]
    elif text.startswith("0086"):
        text = text[4:]
    return text


def validate_phone(value) -> str:
    phone = normalize_phone(value)
    if not phone:
        return ""
    if _MOBILE_RE.match(phone):
        return phone
    if _LANDLINE_RE.match(phone):
        return phone
    raise ValidationError(
        _(
            "Invalid phone number: a mobile number is 11 digits starting with 1; a landline needs an area code (e.g. 0467-5822345)."
        ),
        code="phone_format",
    )


def is_mobile(phone: str) -> bool:
    return bool(_MOBILE_RE.match(phone or ""))


def is_local_path(link: str) -> bool:
    """True for a path on this site (``/dashboard/reports/7/``): never another host.

    Refuses what a browser would read as another site: ``//host``, ``/\\host`` (browsers treat the
    backslash as a slash), a scheme, or control characters.
    """
    from django.utils.http import url_has_allowed_host_and_scheme

    return (
        isinstance(link, str)
        and link.startswith("/")
        and not link.startswith(("//", "/\\"))
        and link.isprintable()
        and url_has_allowed_host_and_scheme(link, allowed_hosts=set(), require_https=False)
    )
