#!/usr/bin/env bash
# Installs the real mail servers the tests and benches use: Dovecot 2.3 (IMAP + LMTP) and Postfix,
# from the distribution's apt repositories (Debian 12 "bookworm" / Ubuntu with Dovecot 2.3).
#
#   scripts/mail-servers/install.sh            # needs root (or passwordless sudo)
#
# - Idempotent: when everything is installed it only says so (well under 1 s).
# - Never starts the system-wide daemons: a temporary /usr/sbin/policy-rc.d (exit 101) blocks
#   invoke-rc.d/deb-systemd-invoke while apt runs, and Postfix is preseeded to "No configuration"
#   (no /etc/postfix/main.cf). Instances are started by setup.sh/start.sh from their own configs.
# - Runs `apt-get update` only when the package lists don't know the packages, when the first
#   install attempt fails (stale lists), or with APT_UPDATE=1.
# - Skips the man-db index rebuild for this one install (saves 2-4 s): /var/lib/man-db/auto-update
#   is moved aside and put back afterwards.
set -euo pipefail

PACKAGES=(dovecot-core dovecot-imapd dovecot-lmtpd postfix)
command -v openssl >/dev/null 2>&1 || PACKAGES+=(openssl)   # only for the optional STARTTLS cert

t0=$(date +%s%N)
elapsed() { echo "$(( ($(date +%s%N) - t0) / 1000000 )) ms"; }
say() { echo "mail-servers/install: $*"; }

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }
versions() {
  echo "dovecot $(dpkg-query -W -f='${Version}' dovecot-core 2>/dev/null), postfix $(dpkg-query -W -f='${Version}' postfix 2>/dev/null)"
}

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  say "already installed ($(versions)); nothing to do ($(elapsed))"
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
  say "apt-get not found; install Dovecot 2.3 (imapd, lmtpd) and Postfix with your package manager" >&2
  exit 1
fi
say "installing: ${missing[*]}"

export DEBIAN_FRONTEND=noninteractive
cleanup=()
restore() { local c; for c in "${cleanup[@]}"; do eval "$c"; done; }
trap restore EXIT

# Keep maintainer scripts from starting the system-wide daemons (ports 25/143/993).
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\n# temporary, from mspflow scripts/mail-servers/install.sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod 755 /usr/sbin/policy-rc.d
  cleanup+=("rm -f /usr/sbin/policy-rc.d")
  say "temporary /usr/sbin/policy-rc.d installed (no service starts)"
fi
# Postfix: don't write an Internet-Site /etc/postfix/main.cf (also ~6 s faster).
if ! installed postfix; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
fi
# Skip the man-db trigger for this install only.
if [ -e /var/lib/man-db/auto-update ]; then
  mv /var/lib/man-db/auto-update /var/lib/man-db/auto-update.mspflow
  cleanup+=("mv -f /var/lib/man-db/auto-update.mspflow /var/lib/man-db/auto-update")
fi

log=$(mktemp /tmp/mail-servers-apt.XXXXXX.log)
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

major=$(dpkg-query -W -f='${Version}' dovecot-core | sed -E 's/^[0-9]+://; s/^([0-9]+\.[0-9]+).*/\1/')
if [ "$major" != 2.3 ]; then
  say "WARNING: Dovecot $major installed; setup.sh generates Dovecot 2.3 configuration (Debian 12)" >&2
fi
say "installed $(versions) in $(elapsed)"
