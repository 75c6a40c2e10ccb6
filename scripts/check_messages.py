"""Keep the Chinese translations complete: refresh the catalogue, fail on any gap, compile.

Runs ``makemessages`` for zh_Hans (new source strings appear in the .po with an empty
translation), then fails listing every untranslated or fuzzy entry, then compiles the
.mo files the server loads. Run by ``make test``; fix a failure by translating the
listed strings in shanzhi/locale/zh_Hans/LC_MESSAGES/django.po.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shanzhi"
CATALOGUE = PACKAGE / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
SHANZHI = [sys.executable, "-m", "shanzhi.cli"]


def main() -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [*SHANZHI, "makemessages", "-l", "zh_Hans", "--no-location", "--ignore", "demo/*", "-v0"],
        cwd=PACKAGE,
        check=True,
        env=env,
    )
    catalogue = polib.pofile(str(CATALOGUE))
    gaps = [
        entry.msgid
        for entry in catalogue
        if not entry.obsolete and ("fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())))
    ]
    if gaps:
        print(f"{len(gaps)} UI strings have no Chinese translation in {CATALOGUE.relative_to(ROOT)}:", file=sys.stderr)
        for msgid in gaps:
            print(f"  {msgid!r}", file=sys.stderr)
        return 1
    subprocess.run([*SHANZHI, "compilemessages", "-v0"], cwd=PACKAGE, check=True, env=env)
    print(f"translations complete: {len(catalogue)} strings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
