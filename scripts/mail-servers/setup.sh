#!/usr/bin/env bash
# Creates a self-contained mail-server instance under ROOT (nothing read from /etc/dovecot or
# /etc/postfix, nothing written outside ROOT):
#
#   scripts/mail-servers/setup.sh ROOT IMAP_PORT SMTP_PORT
#
#   IMAP  127.0.0.1:IMAP_PORT  Dovecot 2.3, plaintext LOGIN/AUTHENTICATE PLAIN allowed on loopback
#   SMTP  127.0.0.1:SMTP_PORT  Postfix; accepts mail for the users below (AUTH optional, checked
#                              against the same passwords through Dovecot's SASL socket) and hands
#                              it to Dovecot LMTP over a unix socket. Unknown users of a local
#                              domain and every other domain are rejected at RCPT TO (550); nothing
#                              ever leaves the machine.
#   Plus addressing: support+anything@example.test is delivered to support@example.test.
#
# Environment:
#   MAIL_USERS  users, separated by spaces, commas or newlines, each "address" or "address:password"
#               (default password: the local part + "-pass", e.g. tech@example.test -> tech-pass).
#               Their domains become the local domains. Default:
#                 support@example.test tech@example.test client@client.test
#   MAIL_TLS=1  also offer STARTTLS on IMAP and SMTP (self-signed EC cert for CN=localhost,
#               IP 127.0.0.1, in ROOT/tls/cert.pem; clients then need it as CA). Default: off, so
#               clients that upgrade opportunistically (imapflow, nodemailer) stay in plaintext.
#   MAIL_UID/MAIL_GID  owner of the mailboxes (default 5000; Dovecot refuses uid 0 for mail).
#   MAIL_FSYNC  Dovecot mail_fsync (default never: test data is disposable).
#
# Files: ROOT/instance.env (ports, for start.sh/stop.sh), ROOT/users (Dovecot passwd-file),
# ROOT/dovecot/{dovecot.conf,dovecot.log,mail/<domain>/<user>/Maildir}, ROOT/postfix/{etc,queue,maillog}.
# Refuses to run while an instance under ROOT is running. Only removes what it creates itself.
set -euo pipefail

die() { echo "mail-servers/setup: $*" >&2; exit 1; }
[ $# -eq 3 ] || die "usage: $0 ROOT IMAP_PORT SMTP_PORT"
ROOT=$1 IMAP_PORT=$2 SMTP_PORT=$3
for p in "$IMAP_PORT" "$SMTP_PORT"; do [[ $p =~ ^[0-9]+$ ]] && [ "$p" -gt 0 ] && [ "$p" -lt 65536 ] || die "bad port: $p"; done
[ "$IMAP_PORT" != "$SMTP_PORT" ] || die "IMAP and SMTP ports must differ"
[ "$(id -u)" = 0 ] || die "must run as root (Postfix needs it)"
for b in dovecot doveadm postfix postconf; do
  command -v "$b" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin:/sbin
  command -v "$b" >/dev/null 2>&1 || die "$b not found: run scripts/mail-servers/install.sh first"
done
[ -x /usr/lib/dovecot/lmtp ] && [ -x /usr/lib/dovecot/imap ] \
  || die "dovecot-imapd/dovecot-lmtpd missing: run scripts/mail-servers/install.sh first"
case "$(dovecot --version)" in 2.3.*) ;; *) die "Dovecot $(dovecot --version) found; this config is for Dovecot 2.3 (Debian 12)";; esac

mkdir -p "$ROOT"
ROOT=$(cd "$ROOT" && pwd -P)
D=$ROOT/dovecot P=$ROOT/postfix
# unix socket paths (sun_path) are limited to 107 bytes; the longest one is $D/base/login/imap-urlauth
[ $(( ${#D} + 26 )) -le 107 ] || die "ROOT path too long for unix sockets (max ~70 chars): $ROOT"

alive() { local pid; pid=$(tr -d ' \n' 2>/dev/null < "$1") && [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
if alive "$D/base/master.pid" || alive "$P/queue/pid/master.pid"; then
  die "an instance is running under $ROOT; run scripts/mail-servers/stop.sh $ROOT first"
fi

MAIL_UID=${MAIL_UID:-5000} MAIL_GID=${MAIL_GID:-5000}
[ "$MAIL_UID" != 0 ] || die "MAIL_UID must not be 0"
TLS=${MAIL_TLS:-0}

# ---- users ---------------------------------------------------------------------------------
USERS_SPEC=${MAIL_USERS:-support@example.test tech@example.test client@client.test}
users_file=$(mktemp)
domains=()
read -r -a entries <<< "$(printf '%s' "$USERS_SPEC" | tr ',\n\t' '   ')"
for entry in "${entries[@]}"; do
  addr=${entry%%:*}
  if [[ $entry == *:* ]]; then pass=${entry#*:}; else pass=${addr%%@*}-pass; fi
  addr=$(printf '%s' "$addr" | tr '[:upper:]' '[:lower:]')
  [[ $addr =~ ^[a-z0-9._-]+@[a-z0-9.-]+\.[a-z0-9-]+$ ]] || die "bad user address: $addr (no '+' allowed: it is the recipient delimiter)"
  [ -n "$pass" ] && [[ $pass != *:* ]] || die "password for $addr must be non-empty and without ':'"
  printf '%s:{PLAIN}%s\n' "$addr" "$pass" >> "$users_file"
  d=${addr#*@}
  [[ " ${domains[*]-} " == *" $d "* ]] || domains+=("$d")
done
[ ${#domains[@]} -gt 0 ] || die "MAIL_USERS is empty"
FIRST_DOMAIN=${domains[0]}

# ---- fresh directories (only ours) ---------------------------------------------------------
rm -rf "$D" "$P" "$ROOT/tls" "$ROOT/users" "$ROOT/instance.env" "$ROOT/watchdog.pid"
chmod 755 "$ROOT"
mkdir -p "$D/base" "$D/state" "$D/mail"
mv "$users_file" "$ROOT/users"
chmod 644 "$ROOT/users"   # read by the Dovecot auth process (user dovecot)
chown "$MAIL_UID:$MAIL_GID" "$D/mail"
# The mail user (uid $MAIL_UID) and Postfix must be able to reach their files: every parent of
# ROOT must be searchable by others (mkdtemp and some home directories are 0700).
if ! setpriv --reuid="$MAIL_UID" --regid="$MAIL_GID" --clear-groups test -w "$D/mail" 2>/dev/null; then
  die "uid $MAIL_UID cannot reach $D/mail: make every parent directory of $ROOT world-searchable (chmod o+x) or use a ROOT under /tmp"
fi

if [ "$TLS" = 1 ]; then
  mkdir -p "$ROOT/tls"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
    -subj "/CN=localhost" -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$ROOT/tls/key.pem" -out "$ROOT/tls/cert.pem" 2>/dev/null || die "openssl failed"
  chmod 644 "$ROOT/tls/cert.pem"; chmod 600 "$ROOT/tls/key.pem"
fi

# ---- Dovecot 2.3 ---------------------------------------------------------------------------
{
cat <<CONF
# Generated by scripts/mail-servers/setup.sh: self-contained test instance, nothing from /etc/dovecot.
instance_name = mspflow-mail-$IMAP_PORT
base_dir  = $D/base
state_dir = $D/state
log_path  = $D/dovecot.log
protocols = imap lmtp
listen = 127.0.0.1

# plaintext auth on loopback, no auth cache (users file edits apply at once); a failed login still
# takes ~0.5 s (Dovecot answers failures from a 500 ms timer even with auth_failure_delay = 0)
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_cache_size = 0
auth_failure_delay = 0

passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u $ROOT/users
}
userdb {
  # allow_all_users = no (default): unknown recipients are rejected, checked against the passdb
  driver = static
  args = uid=$MAIL_UID gid=$MAIL_GID home=$D/mail/%d/%n
}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_privileged_group =
mail_fsync = ${MAIL_FSYNC:-never}
recipient_delimiter = +

namespace inbox {
  inbox = yes
  separator = /
  mailbox Drafts {
    special_use = \Drafts
    auto = subscribe
  }
  mailbox Sent {
    special_use = \Sent
    auto = subscribe
  }
  mailbox Trash {
    special_use = \Trash
    auto = subscribe
  }
  mailbox Junk {
    special_use = \Junk
    auto = subscribe
  }
  mailbox Archive {
    special_use = \Archive
    auto = subscribe
  }
}

service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = $IMAP_PORT
  }
  inet_listener imaps {
    port = 0
  }
}
# LMTP only on a unix socket: Postfix delivers through it, no TCP port needed.
service lmtp {
  unix_listener lmtp {
    mode = 0666
  }
}
# SASL for Postfix (smtpd_sasl_type = dovecot). World-accessible: loopback test instance only.
service auth {
  unix_listener auth-smtp {
    mode = 0666
  }
}
protocol lmtp {
  postmaster_address = postmaster@$FIRST_DOMAIN
}
# No anvil "auth penalty" (2 s, 4 s, ... up to 15 s extra per failed login from the same IP, and
# every test connects from 127.0.0.1): the auth process cannot open this socket and skips it.
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
CONF
if [ "$TLS" = 1 ]; then
cat <<CONF
ssl = yes
ssl_cert = <$ROOT/tls/cert.pem
ssl_key  = <$ROOT/tls/key.pem
ssl_min_protocol = TLSv1.2
CONF
else
  echo "ssl = no"
fi
} > "$D/dovecot.conf"

# ---- Postfix -------------------------------------------------------------------------------
mkdir -p "$P/etc" "$P/queue" "$P/data"
chown postfix "$P/data"
cut -d: -f1 "$ROOT/users" | sed 's/$/ OK/' > "$P/etc/vmailbox"
{
cat <<CONF
# Generated by scripts/mail-servers/setup.sh: self-contained test instance, nothing from /etc/postfix.
compatibility_level = 3.6
queue_directory = $P/queue
data_directory  = $P/data
maillog_file    = $P/maillog
maillog_file_prefixes = $P
myhostname = mail.$FIRST_DOMAIN
mydomain   = $FIRST_DOMAIN
myorigin   = \$mydomain
inet_interfaces = 127.0.0.1
inet_protocols  = ipv4
mynetworks = 127.0.0.0/8
mydestination =
local_recipient_maps =
local_transport = error:local delivery disabled
alias_maps =
alias_database =
relayhost =
relay_domains =
recipient_delimiter = +
virtual_mailbox_domains = ${domains[*]}
virtual_mailbox_maps    = texthash:$P/etc/vmailbox
virtual_transport       = lmtp:unix:$D/base/lmtp
smtpd_recipient_restrictions = permit_sasl_authenticated, permit_mynetworks, reject_unauth_destination
# AUTH is optional (loopback clients may send without it) and checked against Dovecot's users
smtpd_sasl_auth_enable = yes
smtpd_sasl_type = dovecot
smtpd_sasl_path = $D/base/auth-smtp
smtpd_tls_auth_only = no
# nothing leaves the machine: other domains resolve to the error transport (rejected at RCPT TO)
default_transport = error:outbound mail disabled in tests
relay_transport   = error:outbound mail disabled in tests
smtpd_banner = \$myhostname ESMTP mspflow-test
biff = no
# fast and offline: no DNS, no error sleeps, short retry backoff
smtp_dns_support_level = disabled
lmtp_host_lookup = native
smtpd_peername_lookup = no
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
delay_warning_time = 0
message_size_limit = 52428800
CONF
if [ "$TLS" = 1 ]; then
cat <<CONF
smtpd_tls_security_level = may
smtpd_tls_cert_file = $ROOT/tls/cert.pem
smtpd_tls_key_file  = $ROOT/tls/key.pem
CONF
else
  echo "smtpd_tls_security_level = none"
fi
} > "$P/etc/main.cf"

cat > "$P/etc/master.cf" <<CONF
# service type  private unpriv  chroot  wakeup  maxproc command
127.0.0.1:$SMTP_PORT inet n - n - - smtpd
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
smtp      unix  -       -       n       -       -       smtp
relay     unix  -       -       n       -       -       smtp
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
lmtp      unix  -       -       n       -       -       lmtp
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
tlsmgr    unix  -       -       n       1000?   1       tlsmgr
CONF
# Postfix re-reads a main.cf younger than 1 s every 300 ms before starting ("cool down", ~2 s).
touch -d '1 hour ago' "$P/etc/main.cf" "$P/etc/master.cf" "$P/etc/vmailbox"
# The queue tree `postfix check` would create (~2 s faster done here).
Q=$P/queue
for d in active bounce corrupt defer deferred flush hold incoming private saved trace; do
  install -d -o postfix -g root -m 700 "$Q/$d"
done
install -d -o postfix -g postdrop -m 730 "$Q/maildrop"
install -d -o postfix -g postdrop -m 710 "$Q/public"
install -d -o root -g root -m 755 "$Q/pid"
touch "$Q/quick-start"   # `postfix start` skips its integrity check once

cat > "$ROOT/instance.env" <<ENV
IMAP_PORT=$IMAP_PORT
SMTP_PORT=$SMTP_PORT
TLS=$TLS
DOMAINS="${domains[*]}"
ENV
echo "mail-servers/setup: instance in $ROOT (IMAP 127.0.0.1:$IMAP_PORT, SMTP 127.0.0.1:$SMTP_PORT, domains: ${domains[*]}, users: $(cut -d: -f1 "$ROOT/users" | tr '\n' ' ')tls: $TLS)"
