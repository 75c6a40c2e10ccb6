#!/usr/bin/env bash
# Debian packages the browser tests and PDF/screenshot rendering need:
# chromium (driven by Playwright), fonts-noto-cjk (Chinese glyphs), gettext (msgfmt),
# libreoffice-calc (soffice: the import tests convert CSV to .xlsx the way a county's PC does),
# poppler-utils (pdftoppm: tests render signboards, certificates and returns to check them).
# Installs what is missing when run as root; otherwise says what to install.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || need+=(fonts-noto-cjk)
command -v msgfmt >/dev/null || need+=(gettext)
command -v soffice >/dev/null || need+=(libreoffice-calc)
command -v pdftoppm >/dev/null || need+=(poppler-utils)
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  echo "installing Debian packages: ${need[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
else
  echo "missing Debian packages: ${need[*]} — run: sudo apt-get install ${need[*]}" >&2
  exit 1
fi
