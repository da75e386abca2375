#!/usr/bin/env bash
# Installs headless Chromium from the distribution's apt repositories (Debian 12 "bookworm":
# package `chromium`), used by the monthly reports to print PDFs and by their tests to take
# screenshots. No browser is downloaded by npm (no puppeteer download).
#
#   scripts/chromium/install.sh            # needs root (or passwordless sudo)
#
# - Idempotent: when chromium is installed it only says so.
# - Adds a font package with Latin glyphs (fonts-dejavu-core) so PDFs contain real text, and
#   poppler-utils (pdftotext), with which the tests read that text back.
# - The apt routine (sudo, `apt-get update` only when needed, no service starts) is
#   scripts/lib/apt-install.sh.
set -euo pipefail

APT_WHO=chromium/install
# shellcheck source=../lib/apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh"

if ! apt_find_missing chromium fonts-dejavu-core poppler-utils; then
  apt_say "already installed (chromium $(apt_version chromium)); nothing to do ($(apt_elapsed))"
  exit 0
fi
apt_become_root "install Chromium with your package manager and set CHROMIUM_PATH" "$@"
apt_install_missing
apt_say "installed chromium $(apt_version chromium) in $(apt_elapsed)"
