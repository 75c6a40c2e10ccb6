"""The household search index: one denormalised text column per household.

It holds the household number, the phone, and for every member the name, the pinyin
initials and the last four characters of the ID number, so that one indexed-scope
query with ``LIKE`` answers every kind of search a grid worker types.
"""

from __future__ import annotations

from pypinyin import Style, lazy_pinyin

from shanzhi.core.validators import normalize_phone, to_half_width


def initials(name: str) -> str:
    return "".join(p[0] for p in lazy_pinyin(name, style=Style.FIRST_LETTER, errors="ignore") if p).lower()


def search_terms(text: str) -> list[str]:
    text = to_half_width(text or "").strip()
    terms = []
    for raw in text.split():
        term = raw.lower()
        phone = normalize_phone(raw)
        if phone.isdigit():
            term = phone
        terms.append(term)
    return terms


def build_search_text(number: str, phone: str, members: list[tuple[str, str, str, str]]) -> str:
    """``members`` holds (name, initials, id_last4, phone) per resident."""
    parts = [number.lower(), phone]
    for name, name_initials, last4, member_phone in members:
        parts.extend([name, name_initials, "#" + last4.lower(), member_phone])
    return " " + " ".join(p for p in parts if p)[:990] + " "
