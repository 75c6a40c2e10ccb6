"""Keep the Chinese translations complete: refresh the catalogues, fail on any gap, compile.

Runs ``makemessages`` for zh_Hans (new source strings appear in each app's .po with an
empty translation), then fails listing every untranslated or fuzzy entry, then compiles
the .mo files the server loads. Run by ``make test``. Fix a failure by translating the
listed strings in the named shanzhi/<app>/locale/zh_Hans/LC_MESSAGES/django.po.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shanzhi"
SHANZHI = [sys.executable, "-m", "shanzhi.cli"]


def untranslated(catalogue: polib.POFile) -> list[str]:
    return [
        entry.msgid
        for entry in catalogue
        if not entry.obsolete and ("fuzzy" in entry.flags or not (entry.msgstr or any(entry.msgstr_plural.values())))
    ]


def main() -> int:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    subprocess.run(
        [*SHANZHI, "makemessages", "-l", "zh_Hans", "--no-location", "--no-obsolete", "--ignore", "demo/*", "-v0"],
        cwd=PACKAGE, check=True, env=env,
    )
    total, failed = 0, False
    for path in sorted(PACKAGE.glob("**/locale/zh_Hans/LC_MESSAGES/django.po")):
        catalogue = polib.pofile(str(path))
        total += len(catalogue)
        gaps = untranslated(catalogue)
        if gaps:
            failed = True
            print(f"{len(gaps)} UI strings have no Chinese translation in {path.relative_to(ROOT)}:", file=sys.stderr)
            for msgid in gaps:
                print(f"  {msgid!r}", file=sys.stderr)
    if failed:
        return 1
    subprocess.run([*SHANZHI, "compilemessages", "-v0"], cwd=PACKAGE, check=True, env=env)
    print(f"translations complete: {total} strings")
    return 0


if __name__ == "__main__":
    sys.exit(main())
