"""Fill Chinese translations into a catalogue from a JSON object {msgid: msgstr}.

    python scripts/fill_translations.py shanzhi/cases/locale/zh_Hans/LC_MESSAGES/django.po new.json

Plural entries take the one Chinese form. Prints the msgids still untranslated.
"""

from __future__ import annotations

import json
import sys

import polib


def main(po_path: str, mapping_path: str) -> int:
    mapping = json.loads(open(mapping_path, encoding="utf-8").read())  # noqa: SIM115
    catalogue = polib.pofile(po_path)
    for entry in catalogue:
        zh = mapping.get(entry.msgid)
        if zh is None:
            continue
        if entry.msgid_plural:
            entry.msgstr_plural = {0: zh}
        else:
            entry.msgstr = zh
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
    catalogue.metadata.update({"Language": "zh_Hans", "Plural-Forms": "nplurals=1; plural=0;",
                               "Content-Type": "text/plain; charset=UTF-8"})
    catalogue.save()
    left = [e.msgid for e in catalogue if not e.obsolete and not (e.msgstr or any(e.msgstr_plural.values()))]
    for msgid in left:
        print(f"untranslated: {msgid!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:]))
