#!/usr/bin/env bash
# Builds the guest agent as one fully static, stripped executable (PID 1 of the guest's
# initramfs, which has no C library) and installs it.
#
#   guest-agent/build-agent.sh [OUT]
#
#   OUT   where the agent goes (default $HULL_HOME/guest/hull-agent; HULL_HOME defaults
#         to /var/lib/hull)
#
# Builds only the hull-agent product, on its own scratch path (.build-agent, gitignored),
# so a half-written host target does not stop it and the host build's cache is untouched.
# Idempotent: SwiftPM rebuilds only what changed, and OUT is replaced only when the
# stripped binary differs.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

case ${1:-} in
  -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
esac
out=${1:-$HULL_HOME/guest/hull-agent}
case $out in /*) ;; *) out=$PWD/$out ;; esac

command -v swift >/dev/null \
  || hull_die "swift not found: install a Swift 6 toolchain (https://www.swift.org/install/linux/) and put it on PATH"
command -v strip >/dev/null || hull_install_packages binutils

cd "$HULL_REPO"
scratch=$HULL_REPO/.build-agent
started=$(hull_now)
hull_say_begin "building hull-agent (static)"
hull_run_logged "swift build of hull-agent" \
  swift build -c release --static-swift-stdlib -Xswiftc -static-executable \
    --product hull-agent --scratch-path "$scratch"
bin=$(swift build -c release --static-swift-stdlib -Xswiftc -static-executable \
        --product hull-agent --scratch-path "$scratch" --show-bin-path)/hull-agent
[ -x "$bin" ] || hull_die "the build reported success but $bin is missing"
hull_say_end "done in $(hull_since "$started")"

# The guest has no dynamic loader: refuse anything that would need one.
linkage=$(LC_ALL=C ldd "$bin" 2>&1 || true)
grep -qE 'not a dynamic executable|statically linked' <<<"$linkage" \
  || hull_die "$bin is dynamically linked ($linkage); the guest initramfs has no C library"

install -d -m 0710 "$(dirname "$out")"   # QEMU's group passes through (docs/security.md)
tmp=$(mktemp "$out.tmp.XXXXXX")
trap 'rm -f "$tmp"' EXIT
strip -o "$tmp" "$bin"
chmod 0755 "$tmp"
if cmp -s "$tmp" "$out"; then
  hull_say "agent up to date at $out ($(du -h "$out" | cut -f1))"
else
  mv -f "$tmp" "$out"
  hull_say "agent installed at $out ($(du -h "$out" | cut -f1))"
fi
