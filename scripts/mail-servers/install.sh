#!/usr/bin/env bash
# Installs the real mail servers the tests and benches use: Dovecot 2.3 (IMAP + LMTP) and Postfix,
# from the distribution's apt repositories (Debian 12 "bookworm" / Ubuntu with Dovecot 2.3).
#
#   scripts/mail-servers/install.sh            # needs root (or passwordless sudo)
#
# - Idempotent: when everything is installed it only says so (well under 1 s).
# - Never starts the system-wide daemons (ports 25/143/993): the shared apt routine
#   (scripts/lib/apt-install.sh) blocks service starts while apt runs, and Postfix is preseeded to
#   "No configuration" (no /etc/postfix/main.cf). Instances are started by setup.sh/start.sh from
#   their own configs.
# - The apt routine also runs `apt-get update` only when needed and skips the man-db rebuild.
set -euo pipefail

APT_WHO=mail-servers/install
# shellcheck source=../lib/apt-install.sh
source "$(dirname "${BASH_SOURCE[0]}")/../lib/apt-install.sh"

PACKAGES=(dovecot-core dovecot-imapd dovecot-lmtpd postfix)
command -v openssl >/dev/null 2>&1 || PACKAGES+=(openssl)   # only for the optional STARTTLS cert

versions() { echo "dovecot $(apt_version dovecot-core), postfix $(apt_version postfix)"; }

if ! apt_find_missing "${PACKAGES[@]}"; then
  apt_say "already installed ($(versions)); nothing to do ($(apt_elapsed))"
  exit 0
fi
apt_become_root "install Dovecot 2.3 (imapd, lmtpd) and Postfix with your package manager" "$@"
# Postfix: don't write an Internet-Site /etc/postfix/main.cf (also ~6 s faster).
if ! apt_installed postfix; then
  echo "postfix postfix/main_mailer_type select No configuration" | debconf-set-selections
fi
apt_install_missing

major=$(apt_version dovecot-core | sed -E 's/^[0-9]+://; s/^([0-9]+\.[0-9]+).*/\1/')
if [ "$major" != 2.3 ]; then
  apt_say "WARNING: Dovecot $major installed; setup.sh generates Dovecot 2.3 configuration (Debian 12)" >&2
fi
apt_say "installed $(versions) in $(apt_elapsed)"
