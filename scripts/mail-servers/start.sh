#!/usr/bin/env bash
# Starts the instance that setup.sh created under ROOT: Dovecot first (Postfix's smtpd needs its
# SASL socket), then Postfix; returns once both servers send their greeting.
#
#   scripts/mail-servers/start.sh ROOT
#
# Both masters daemonize into their own sessions (a Ctrl-C in the terminal does not reach them).
# WATCH_PID=<pid>: also start a watchdog (own session) that runs stop.sh ROOT as soon as that
# process is gone, however it ended (even SIGKILL). Test harnesses pass their own pid.
# Prints one line: "ready in <ms> ms: imap=127.0.0.1:<port> smtp=127.0.0.1:<port> dovecot=<pid> postfix=<pid>".
set -euo pipefail
PATH=$PATH:/usr/sbin:/sbin
die() { echo "mail-servers/start: $*" >&2; exit 1; }
[ $# -eq 1 ] || die "usage: $0 ROOT"
HERE=$(cd "$(dirname "$0")" && pwd)
[ -f "$1/instance.env" ] || die "no instance in $1: run scripts/mail-servers/setup.sh ROOT IMAP_PORT SMTP_PORT first"
ROOT=$(cd "$1" && pwd -P)
D=$ROOT/dovecot P=$ROOT/postfix
# shellcheck source=/dev/null
. "$ROOT/instance.env"
t0=$(date +%s%N)

pidof_file() { tr -d ' \n' 2>/dev/null < "$1" || true; }
fail() {
  echo "mail-servers/start: $*" >&2
  for f in "$D/start.out" "$D/dovecot.log" "$P/start.out" "$P/maillog"; do
    [ -s "$f" ] && { echo "--- $f" >&2; tail -n 20 "$f" >&2; }
  done
  "$HERE/stop.sh" "$ROOT" >/dev/null 2>&1 || true
  exit 1
}
# Waits until 127.0.0.1:PORT sends a line starting with PREFIX (a TCP connect alone is not enough:
# Dovecot's imap-login greets only once auth is up). Gives up early when PIDFILE's process is gone.
wait_greeting() {
  local port=$1 prefix=$2 pidfile=$3 deadline=$(( $(date +%s) + ${MAIL_START_TIMEOUT:-20} )) line pid
  while [ "$(date +%s)" -lt "$deadline" ]; do
    if exec 3<>"/dev/tcp/127.0.0.1/$port" 2>/dev/null; then
      if IFS= read -t 2 -r line <&3 && [[ $line == "$prefix"* ]]; then exec 3<&- 3>&-; return 0; fi
      exec 3<&- 3>&-
    fi
    pid=$(pidof_file "$pidfile")
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then echo "master $pid exited" >&2; return 1; fi
    sleep 0.02
  done
  echo "timeout waiting for '$prefix' on port $port" >&2; return 1
}
alive() { local pid; pid=$(pidof_file "$1"); [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; }
alive "$D/base/master.pid" && die "Dovecot already running for $ROOT"
alive "$P/queue/pid/master.pid" && die "Postfix already running for $ROOT"

# stdio to files: the daemons must not keep the caller's pipes open
dovecot -c "$D/dovecot.conf" </dev/null >"$D/start.out" 2>&1 || fail "dovecot did not start"
wait_greeting "$IMAP_PORT" "* OK" "$D/base/master.pid" || fail "IMAP not ready on 127.0.0.1:$IMAP_PORT"

postfix -c "$P/etc" start </dev/null >"$P/start.out" 2>&1 || fail "postfix did not start"
wait_greeting "$SMTP_PORT" "220 " "$P/queue/pid/master.pid" || fail "SMTP not ready on 127.0.0.1:$SMTP_PORT"

if [ -n "${WATCH_PID:-}" ]; then
  kill -0 "$WATCH_PID" 2>/dev/null || fail "WATCH_PID $WATCH_PID is not running"
  # tail --pid blocks until that process is gone (polls every 0.5 s) without a loop of sleeps
  setsid bash -c 'tail --pid="$1" -s 0.5 -f /dev/null; rm -f "$2/watchdog.pid"; exec "$3" "$2"' \
    mail-servers-watchdog "$WATCH_PID" "$ROOT" "$HERE/stop.sh" </dev/null >/dev/null 2>&1 &
  echo $! > "$ROOT/watchdog.pid"
fi

echo "ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms: imap=127.0.0.1:$IMAP_PORT smtp=127.0.0.1:$SMTP_PORT dovecot=$(pidof_file "$D/base/master.pid") postfix=$(pidof_file "$P/queue/pid/master.pid")"
