# shellcheck shell=bash
# The apt routine shared by the installers of Debian packages (scripts/*/install.sh), sourced by
# them (not run). A script names itself, lists what is missing, becomes root, then installs:
#
#   APT_WHO=chromium/install
#   source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh"
#   apt_find_missing chromium poppler-utils || { apt_say "already installed ($(apt_elapsed))"; exit 0; }
#   apt_become_root "install Chromium with your package manager" "$@"
#   apt_install_missing
#
# - Idempotent: apt_find_missing only asks dpkg (well under 1 s when everything is there).
# - apt_become_root re-runs the script through passwordless sudo when not root; without either,
#   or without apt-get, it stops with a message saying what to do.
# - apt_install_missing never starts system-wide daemons: a temporary /usr/sbin/policy-rc.d
#   (exit 101) blocks invoke-rc.d/deb-systemd-invoke while apt runs. It skips the man-db index
#   rebuild for this one install (saves 2-4 s): /var/lib/man-db/auto-update is moved aside and
#   put back afterwards. It runs `apt-get update` only when the package lists don't know a
#   package, when the first install attempt fails (stale lists), or with APT_UPDATE=1.

APT_WHO=${APT_WHO:-apt-install}
APT_T0=$(date +%s%N)
APT_MISSING=()
APT_CLEANUP=()

apt_elapsed() { echo "$(( ($(date +%s%N) - APT_T0) / 1000000 )) ms"; }
apt_say() { echo "$APT_WHO: $*"; }
apt_installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
apt_version() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null; }

# Fills APT_MISSING with the packages not installed; fails when none is missing.
apt_find_missing() {
  APT_MISSING=()
  local p
  for p in "$@"; do apt_installed "$p" || APT_MISSING+=("$p"); done
  [ ${#APT_MISSING[@]} -gt 0 ]
}

# Usage: apt_become_root "<what to do without apt-get>" "$@" (the script's own arguments).
apt_become_root() {
  local without_apt=$1
  shift
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
      exec sudo -n "$0" "$@"
    fi
    apt_say "missing packages: ${APT_MISSING[*]}; run this script as root (e.g. sudo $0)" >&2
    exit 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    apt_say "apt-get not found; $without_apt" >&2
    exit 1
  fi
}

apt_restore() { local c; for c in "${APT_CLEANUP[@]}"; do eval "$c"; done; }

# Installs APT_MISSING (as root: call apt_become_root first); exits with apt's log on failure.
apt_install_missing() {
  apt_say "installing: ${APT_MISSING[*]}"
  export DEBIAN_FRONTEND=noninteractive
  trap apt_restore EXIT

  # Keep maintainer scripts from starting system-wide daemons.
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, from mspflow %s\nexit 101\n' "$APT_WHO" > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    APT_CLEANUP+=("rm -f /usr/sbin/policy-rc.d")
    apt_say "temporary /usr/sbin/policy-rc.d installed (no service starts)"
  fi
  # Skip the man-db trigger for this install only.
  if [ -e /var/lib/man-db/auto-update ]; then
    mv /var/lib/man-db/auto-update /var/lib/man-db/auto-update.mspflow
    APT_CLEANUP+=("mv -f /var/lib/man-db/auto-update.mspflow /var/lib/man-db/auto-update")
  fi

  APT_LOG=$(mktemp "/tmp/${APT_WHO//\//-}-apt.XXXXXX.log")
  local known=1 p
  for p in "${APT_MISSING[@]}"; do
    [ -n "$(apt-cache policy "$p" 2>/dev/null | sed -n 's/^ *Candidate: *//p' | grep -v '(none)')" ] || known=0
  done
  if [ "${APT_UPDATE:-0}" = 1 ] || [ "$known" = 0 ]; then apt_update; fi
  if ! apt_get_install; then
    apt_say "install failed; retrying after apt-get update (package lists may be stale)"
    apt_update
    apt_get_install || { cat "$APT_LOG" >&2; apt_say "apt-get install failed (log above)" >&2; exit 1; }
  fi
  rm -f "$APT_LOG"
}

apt_update() {
  apt_say "apt-get update"
  apt-get update -q >>"$APT_LOG" 2>&1 || { cat "$APT_LOG" >&2; apt_say "apt-get update failed" >&2; exit 1; }
}

apt_get_install() {
  apt-get install -y -q --no-install-recommends -o Dpkg::Use-Pty=0 "${APT_MISSING[@]}" >>"$APT_LOG" 2>&1
}
