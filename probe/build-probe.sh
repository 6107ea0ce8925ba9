#!/usr/bin/env bash
# Builds the isolation probe (probe/hull-probe.c) as one static executable and installs
# it where `hull probe` and `hull bench` find it.
#
#   probe/build-probe.sh [OUT]
#
#   OUT   default $HULL_HOME/probe/hull-probe. That directory is bind-mounted read-only at
#         /.hull/probe into runc/runsc containers; the guest initramfs carries a copy at
#         /usr/lib/hull/probe (guest-agent/build-initramfs.sh), which the agent binds there.
#
# Idempotent: OUT is replaced only when the binary differs.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

out=${1:-$HULL_HOME/probe/hull-probe}
case $out in /*) ;; *) out=$PWD/$out ;; esac
command -v gcc >/dev/null || hull_install_packages gcc libc6-dev

install -d -m 0755 "$(dirname "$out")"
tmp=$(mktemp "$out.tmp.XXXXXX")
trap 'rm -f "$tmp"' EXIT
# -static: the probe runs in any image (and the guest's initramfs has no C library).
gcc -static -O2 -Wall -Wextra -Werror -o "$tmp" "$HULL_REPO/probe/hull-probe.c"
strip "$tmp"
chmod 0755 "$tmp"
if cmp -s "$tmp" "$out"; then
  hull_say "probe up to date at $out"
else
  mv -f "$tmp" "$out"
  hull_say "probe installed at $out ($(du -h "$out" | cut -f1))"
fi
