"""Copy the front-end files Shanzhi serves from node_modules into shanzhi/static/vendor/.

Run after ``npm ci`` (the Makefile does both). The packages come from the npm registry
pinned by package-lock.json; nothing is fetched at run time and no CDN is used.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "shanzhi" / "static" / "vendor"

FILES = {
    "htmx.org": ["dist/htmx.min.js"],
    "modern-normalize": ["modern-normalize.css"],
    "echarts": ["dist/echarts.min.js"],
    "leaflet": [
        "dist/leaflet.js",
        "dist/leaflet.css",
        "dist/images/layers.png",
        "dist/images/layers-2x.png",
        "dist/images/marker-icon.png",
        "dist/images/marker-icon-2x.png",
        "dist/images/marker-shadow.png",
    ],
}


def main() -> int:
    missing = []
    for package, files in FILES.items():
        for name in files:
            source = NODE / package / name
            if not source.exists():
                missing.append(str(source))
                continue
            target = VENDOR / package / name.removeprefix("dist/")
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
        licence = next((p for p in (NODE / package).glob("LICEN[SC]E*")), None) or next(
            (p for p in (NODE / package).glob("licen[sc]e*")), None
        )
        if licence:
            shutil.copyfile(licence, VENDOR / package / "LICENSE")
    if missing:
        print("missing front-end files (run `npm ci` first):\n  " + "\n  ".join(missing), file=sys.stderr)
        return 1
    print(f"front-end assets copied to {VENDOR.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
