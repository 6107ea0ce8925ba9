# shellcheck shell=bash
# Shell helpers shared by scripts/setup.sh, kernels/fetch-kernel.sh and the
# guest-agent/build-*.sh recipes. Sourced, never run.
#
# Every script honours $HULL_HOME (default /var/lib/hull). Directories are made 0755 and
# files world-readable because libvirt runs QEMU as the unprivileged `libvirt-qemu` user,
# which must read the kernel, the initramfs and the base disks.

umask 022

HULL_HOME=${HULL_HOME:-/var/lib/hull}
case $HULL_HOME in
  /*) ;;
  *) HULL_HOME=$PWD/$HULL_HOME ;;   # the scripts cd around; keep the path meaning the same
esac
export HULL_HOME
# shellcheck disable=SC2034  # used by the scripts that source this file
HULL_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# setup.sh exports HULL_LOG_PREFIX=setup so the steps it runs all speak as `setup:`.
HULL_LOG_PREFIX=${HULL_LOG_PREFIX:-$(basename "$0" .sh)}

hull_say() { printf '%s: %s\n' "$HULL_LOG_PREFIX" "$*"; }
hull_warn() { printf '%s: warning: %s\n' "$HULL_LOG_PREFIX" "$*" >&2; }
hull_die() {
  [ "${HULL_LINE_OPEN:-0}" = 0 ] || printf 'failed\n'
  printf '%s: error: %s\n' "$HULL_LOG_PREFIX" "$*" >&2
  exit 1
}

hull_sha256() { sha256sum "$1" | cut -d' ' -f1; }
hull_sha12() { hull_sha256 "$1" | cut -c1-12; }
hull_sha12_text() { printf '%s' "$1" | sha256sum | cut -c1-12; }

# Seconds since the epoch with fractions, and the time elapsed since such a stamp.
hull_now() { date +%s.%N; }
hull_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f s", b - a }'; }

# Serialises concurrent runs of one step (tests may call setup.sh in parallel). The lock
# is held until the script exits; daemons started later must not inherit it
# (hull_spawn_daemon closes every inherited descriptor).
hull_lock() {
  local name=$1
  install -d -m 0700 "$HULL_HOME/cache"
  exec {HULL_LOCK_FD}>>"$HULL_HOME/cache/$name.lock"
  if ! flock -n "$HULL_LOCK_FD"; then
    hull_say "waiting for another run of $name to finish"
    flock "$HULL_LOCK_FD"
  fi
}

# Prints the packages among "$@" that dpkg does not consider installed.
hull_missing_packages() {
  local p status
  for p in "$@"; do
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    [ "$status" = "install ok installed" ] || printf '%s\n' "$p"
  done
}

# `apt-get update`, at most once per setup run (exported so child scripts see it).
hull_apt_update_once() {
  [ "${HULL_APT_UPDATED:-}" = 1 ] && return 0
  hull_run_logged "apt-get update" apt-get update
  HULL_APT_UPDATED=1
  export HULL_APT_UPDATED
}

# Installs whichever of "$@" is missing; quiet and quick when nothing is.
hull_install_packages() {
  local missing started
  missing=$(hull_missing_packages "$@" | tr '\n' ' ')
  missing=${missing% }
  [ -n "$missing" ] || return 0
  [ "$(id -u)" -eq 0 ] || hull_die "missing Debian packages: $missing (run as root, or: sudo apt-get install $missing)"
  started=$(hull_now)
  hull_say_begin "installing $missing"
  hull_apt_update_once
  # shellcheck disable=SC2086  # one word per package
  hull_run_logged "apt-get install $missing" \
    env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing
  hull_say_end "done in $(hull_since "$started")"
}

# One status line in two halves around a long step: "setup: building hull … done in 80 s".
HULL_LINE_OPEN=0
hull_say_begin() { printf '%s: %s … ' "$HULL_LOG_PREFIX" "$*"; HULL_LINE_OPEN=1; }
hull_say_end() { printf '%s\n' "$*"; HULL_LINE_OPEN=0; }

# Runs a noisy command with its output kept in a temporary log that is shown only if
# the command fails.
hull_run_logged() {
  local what=$1 log status=0
  shift
  log=$(mktemp)
  "$@" >"$log" 2>&1 </dev/null || status=$?
  if [ "$status" -ne 0 ]; then
    [ "$HULL_LINE_OPEN" = 0 ] || hull_say_end "failed"
    tail -n 60 "$log" >&2
    rm -f "$log"
    hull_die "$what failed (exit $status)"
  fi
  rm -f "$log"
}

# True when a process whose command name is $1 is running (reads /proc: no procps needed).
hull_process_running() {
  local comm name
  for comm in /proc/[0-9]*/comm; do
    read -r name 2>/dev/null <"$comm" || continue
    [ "$name" = "$1" ] && return 0
  done
  return 1
}

# Starts a self-daemonising program ($2…) with no inherited descriptors, its start-up
# messages going to the file $1: a daemon that kept our lock or a caller's stdout pipe
# open would block the next setup run or hang whoever reads our output.
hull_spawn_daemon() {
  local log=$1
  shift
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      [ "$fd" -gt 2 ] 2>/dev/null && eval "exec $fd>&-"
    done
    exec "$@" </dev/null >>"$log" 2>&1
  )
}

# Sets every mtime under $1 (symlinks included) to the epoch so that archives and disks
# made from the tree depend on content only.
hull_zero_mtimes() {
  find "$1" -exec touch -h -d @0 {} +
}
