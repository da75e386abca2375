#!/usr/bin/env bash
# Installs headless Chromium from the distribution's apt repositories (Debian 12 "bookworm":
# package `chromium`), used by the monthly reports to print PDFs and by their tests to take
# screenshots. No browser is downloaded by npm (no puppeteer download).
#
#   scripts/chromium/install.sh            # needs root (or passwordless sudo)
#
# - Idempotent: when chromium is installed it only says so.
# - Runs `apt-get update` only when the package lists don't know the package, when the first
#   install attempt fails (stale lists), or with APT_UPDATE=1.
# - Adds a font package with Latin glyphs (fonts-dejavu-core) so PDFs contain real text, and
#   poppler-utils (pdftotext), with which the tests read that text back.
set -euo pipefail

PACKAGES=(chromium fonts-dejavu-core poppler-utils)

t0=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms"; }
say() { echo "chromium/install: $*"; }

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
version() { dpkg-query -W -f='${Version}' chromium 2>/dev/null; }

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  say "already installed (chromium $(version)); nothing to do ($(elapsed))"
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    exec sudo -n "$0" "$@"
  fi
  say "missing packages: ${missing[*]}; run this script as root (e.g. sudo $0)" >&2
  exit 1
fi
if ! command -v apt-get >/dev/null 2>&1; then
  say "apt-get not found; install Chromium with your package manager and set CHROMIUM_PATH" >&2
  exit 1
fi
say "installing: ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive
cleanup=()
restore() { local c; for c in "${cleanup[@]}"; do eval "$c"; done; }
trap restore EXIT
# Skip the man-db trigger for this install only.
if [ -e /var/lib/man-db/auto-update ]; then
  mv /var/lib/man-db/auto-update /var/lib/man-db/auto-update.mspflow
  cleanup+=("mv -f /var/lib/man-db/auto-update.mspflow /var/lib/man-db/auto-update")
fi

log=$(mktemp /tmp/chromium-apt.XXXXXX.log)
apt_update() {
  say "apt-get update"
  apt-get update -q >>"$log" 2>&1 || { cat "$log" >&2; say "apt-get update failed" >&2; exit 1; }
}
apt_install() {
  apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "${missing[@]}" >>"$log" 2>&1
}
known=1
for p in "${missing[@]}"; do
  [ -n "$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)')" ] || known=0
done
if [ "${APT_UPDATE:-0}" = 1 ] || [ "$known" = 0 ]; then apt_update; fi
if ! apt_install; then
  say "install failed; retrying after apt-get update (package lists may be stale)"
  apt_update
  apt_install || { cat "$log" >&2; say "apt-get install failed (log above)" >&2; exit 1; }
fi
rm -f "$log"
say "installed chromium $(version) in $(elapsed)"
