#!/usr/bin/env bash
# Stops the instance under ROOT and returns once none of its processes is left.
#
#   scripts/mail-servers/stop.sh ROOT            # fast: SIGKILL (test data is disposable), ~50-150 ms
#   GRACEFUL=1 scripts/mail-servers/stop.sh ROOT # postfix stop + SIGTERM to Dovecot (1-6 s), then SIGKILL
#
# The instance's processes are found two ways, so none is missed even when a pid file is stale
# or gone: the sessions of the two masters (each daemonizes into its own session; a session id
# is only trusted while its leader is that master, a zombie, or gone: Linux does not reuse a pid
# still in use as a session id), and any Dovecot/Postfix executable whose working or root
# directory is inside ROOT.
# Also ends the watchdog that start.sh may have started. Idempotent; never touches other instances.
set -uo pipefail
[ $# -eq 1 ] || { echo "usage: $0 ROOT" >&2; exit 2; }
# A ROOT removed while its servers run is still handled: they are found by their (deleted) cwd.
if [ -d "$1" ]; then ROOT=$(cd "$1" && pwd -P); else ROOT=${1%/}; fi
D=$ROOT/dovecot P=$ROOT/postfix
PATH=$PATH:/usr/sbin:/sbin
t0=$(date +%s%N)

pidof_file() { tr -d ' \n' 2>/dev/null < "$1" || true; }
dpid=$(pidof_file "$D/base/master.pid")
ppid=$(pidof_file "$P/queue/pid/master.pid")
wpid=$(pidof_file "$ROOT/watchdog.pid")
# Forget a master pid that now belongs to an unrelated process (pid reused after a crash).
ours() {
  [ -n "$1" ] && [ -e "/proc/$1" ] || return 0
  case $(readlink "/proc/$1/exe" 2>/dev/null) in ''|/usr/sbin/dovecot|/usr/lib/postfix/sbin/master) return 0;; esac
  return 1
}
ours "$dpid" || dpid=
ours "$ppid" || ppid=

# The watchdog execs this script after removing its pid file; never kill ourselves or our caller.
if [ -n "$wpid" ] && [ "$wpid" != $$ ] && [ "$wpid" != "$PPID" ]; then kill -TERM "$wpid" 2>/dev/null; fi
rm -f "$ROOT/watchdog.pid"

# Prints the pids of live (non-zombie) processes that belong to this instance (one cat, awk and
# find each: a loop over /proc in bash costs ~1 s).
members() {
  {
    # /proc/<pid>/stat: "pid (comm) state ppid pgrp session ..."; comm may contain spaces
    cat /proc/[0-9]*/stat 2>/dev/null | awk -v a="${dpid:-none}" -v b="${ppid:-none}" '{
      rest = $0; sub(/^.*\) /, "", rest); split(rest, f, " ")
      if (f[1] != "Z" && (f[4] == a || f[4] == b)) print $1 }'
    find /proc -mindepth 2 -maxdepth 2 \( -name cwd -o -name root \) -lname "$ROOT/*" 2>/dev/null |
      while IFS=/ read -r _ _ p _; do
        case $(readlink "/proc/$p/exe" 2>/dev/null) in
          /usr/sbin/dovecot|/usr/lib/dovecot/*|/usr/lib/postfix/*|/usr/sbin/post*) echo "$p";;
        esac
      done
  } | grep -vx "$$" | sort -un
}

if [ "${GRACEFUL:-0}" = 1 ]; then
  [ -d "$P/etc" ] && postfix -c "$P/etc" stop >/dev/null 2>&1
  [ -n "$dpid" ] && kill -TERM "$dpid" 2>/dev/null
  for _ in $(seq 1 300); do [ -z "$(members)" ] && break; sleep 0.05; done
fi

# SIGKILL both process groups at once (atomic for each group), then whatever is left.
for m in $dpid $ppid; do kill -KILL -- "-$m" 2>/dev/null; done
for _ in $(seq 1 100); do
  left=$(members)
  [ -z "$left" ] && break
  # shellcheck disable=SC2086
  kill -KILL $left 2>/dev/null
  sleep 0.05
done
if [ -n "$(members)" ]; then
  echo "mail-servers/stop: processes still alive for $ROOT: $(members | tr '\n' ' ')" >&2
  exit 1
fi
rm -f "$D/base/master.pid" "$P/queue/pid/master.pid"
echo "stopped $ROOT in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
