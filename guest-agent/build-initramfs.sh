#!/usr/bin/env bash
# Assembles the initramfs every guest boots: the agent as PID 1, busybox for /init and
# debugging, and the kernel modules the agent loads.
#
#   guest-agent/build-initramfs.sh [--base PATH] [--agent PATH] [--out PATH]
#
#   --base   a static busybox binary (default: /bin/busybox from Debian's busybox-static),
#            or an Alpine minirootfs tarball (alpine-minirootfs-*.tar.gz), unpacked as the
#            bottom layer instead
#   --agent  the static agent (default $HULL_HOME/guest/hull-agent, from build-agent.sh)
#   --probe  the static isolation probe (default $HULL_HOME/probe/hull-probe when present),
#            put at /usr/lib/hull/probe/hull-probe for `hull probe` and `hull bench`
#   --out    the archive (default $HULL_HOME/guest/initramfs.cpio.gz); its version line
#            goes to $HULL_HOME/guest/version, or to OUT.version for any other --out
#
# Contents (newc cpio, gzip):
#   /init                    mounts /proc, then execs /sbin/hull-agent (see below)
#   /sbin/hull-agent         the agent
#   /bin/busybox + links     sh, mount, umount, ls, cat, mkdir, dmesg, insmod, poweroff, reboot,
#                            and for hulld's top/stats/cp: ps, tar, mktemp, mv, rm, rmdir
#   /lib/modules/*.ko, /lib/modules/load-order   from $HULL_HOME/kernel/modules
#   /usr/lib/hull/probe/hull-probe   the probe (when there is one), bound into containers
#   /etc/hull-guest-version  "hull-guest-inputs <sha12> kernel <kver> agent <sha12> base <base>"
#   /dev/console, empty /proc /sys /run /tmp /mnt
#
# The host's version line is "hull-guest <sha12 of the archive> kernel … agent … base …";
# the archive cannot contain its own hash, so the in-guest line starts with the hash of
# the inputs instead and shares the "kernel … agent … base …" tail.
#
# Deterministic: sorted entries, mtimes at the epoch, renumbered inodes, no gzip name or
# time, so the same inputs give the same bytes. Rebuilds only when an input changed.
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

# Measured under TCG: -1, -6 and -9 boot equally fast (within 0.05 s; the kernel inflates
# at much the same speed), and -6 is 10% smaller than -1 (see guest-agent/README.md).
gzip_level=6

base=
agent=$HULL_HOME/guest/hull-agent
probe=$HULL_HOME/probe/hull-probe
out=$HULL_HOME/guest/initramfs.cpio.gz
while [ $# -gt 0 ]; do
  case $1 in
    --base) base=${2:?--base needs a path}; shift 2 ;;
    --agent) agent=${2:?--agent needs a path}; shift 2 ;;
    --probe) probe=${2:?--probe needs a path}; shift 2 ;;
    --out) out=${2:?--out needs a path}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) hull_die "unknown argument $1 (see --help)" ;;
  esac
done
absolute() { case $1 in /*) printf '%s' "$1" ;; *) printf '%s/%s' "$PWD" "$1" ;; esac; }
out=$(absolute "$out")
agent=$(absolute "$agent")
if [ "$out" = "$HULL_HOME/guest/initramfs.cpio.gz" ]; then
  version_file=$HULL_HOME/guest/version
  stamp=$HULL_HOME/cache/initramfs.inputs
else
  version_file=$out.version
  stamp=$HULL_HOME/cache/initramfs-$(hull_sha12_text "$out").inputs
fi

hull_install_packages cpio gzip
is_static() {  # a static ELF or a script: both run without a C library in the guest
  local linkage
  linkage=$(LC_ALL=C ldd "$1" 2>&1 || true)
  grep -qE 'not a dynamic executable|statically linked' <<<"$linkage"
}

# The base: a busybox binary or a root filesystem tarball.
if [ -z "$base" ]; then
  hull_install_packages busybox-static
  base=/bin/busybox
fi
base=$(absolute "$base")
[ -f "$base" ] || hull_die "--base $base: no such file"
if tar -tf "$base" >/dev/null 2>&1; then
  base_kind=tarball
else
  base_kind=busybox
  [ -x "$base" ] || hull_die "--base $base is neither a tarball nor an executable busybox"
  is_static "$base" || hull_die "--base $base is dynamically linked; the initramfs has no C library (install busybox-static)"
fi

# The agent and the kernel modules.
[ -f "$agent" ] || hull_die "no agent at $agent: build it with guest-agent/build-agent.sh (scripts/setup.sh does)"
[ -x "$agent" ] || hull_die "$agent is not executable"
if [ "$base_kind" = busybox ] && ! is_static "$agent"; then
  hull_die "$agent is dynamically linked; the busybox initramfs has no C library: build it with -static-executable (guest-agent/build-agent.sh)"
fi
modules=$HULL_HOME/kernel/modules
kernel_line=$(head -n1 "$HULL_HOME/kernel/version" 2>/dev/null || true)
[ -n "$kernel_line" ] && [ -f "$modules/load-order" ] \
  || hull_die "no guest kernel modules in $modules: run kernels/fetch-kernel.sh first"
kver=${kernel_line%% *}

hull_lock initramfs

# Everything the archive is made of, as text: unchanged text means an unchanged archive.
inputs=$(
  printf 'recipe %s\n' "$(hull_sha256 "$0")"
  printf 'gzip -%s\n' "$gzip_level"
  printf 'base %s %s\n' "$base_kind" "$(hull_sha256 "$base")"
  printf 'agent %s\n' "$(hull_sha256 "$agent")"
  if [ -f "$probe" ]; then printf 'probe %s\n' "$(hull_sha256 "$probe")"; fi
  printf 'kernel %s\n' "$kernel_line"
  printf 'load-order %s\n' "$(hull_sha256 "$modules/load-order")"
  while read -r ko; do
    [ -f "$modules/$ko" ] || hull_die "$modules/$ko is listed in load-order but missing: run kernels/fetch-kernel.sh"
    printf 'module %s %s\n' "$ko" "$(hull_sha256 "$modules/$ko")"
  done <"$modules/load-order"
)

recorded=$(head -n1 "$version_file" 2>/dev/null || true)
if [ -f "$out" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$inputs" ] \
   && [ "${recorded#hull-guest }" != "$recorded" ] \
   && [ "$(echo "$recorded" | cut -d' ' -f2)" = "$(hull_sha12 "$out")" ]; then
  hull_say "initramfs up to date ($recorded)"
  exit 0
fi

started=$(hull_now)
install -d -m 0700 "$HULL_HOME/cache"
install -d -m 0710 "$(dirname "$out")"   # QEMU's group passes through (docs/security.md)
stage=$(mktemp -d "$HULL_HOME/cache/initramfs-stage.XXXXXX")
tmp_out=
cleanup() { rm -rf "$stage" ${tmp_out:+"$tmp_out"}; }
trap cleanup EXIT
chmod 0755 "$stage"

if [ "$base_kind" = tarball ]; then
  tar -xf "$base" -C "$stage" --numeric-owner 2>"$stage.log" \
    || { cat "$stage.log" >&2; rm -f "$stage.log"; hull_die "cannot unpack $base"; }
  rm -f "$stage.log"
  if [ -f "$stage/etc/alpine-release" ]; then
    base_label=alpine:$(head -n1 "$stage/etc/alpine-release")
  else
    base_label=tar:$(hull_sha12 "$base")
  fi
  [ -e "$stage/bin/sh" ] || [ -L "$stage/bin/sh" ] || hull_die "$base has no /bin/sh, which /init needs"
  # We write below these; a symlink there could point anywhere, the host included.
  for d in sbin lib lib/modules etc proc sys dev run tmp mnt; do
    [ ! -L "$stage/$d" ] || hull_die "$base: /$d is a symlink; only tarballs with a real /$d are supported"
  done
  rm -f "$stage/init" "$stage/sbin/hull-agent" "$stage/etc/hull-guest-version"
else
  base_label=busybox
  install -d -m 0755 "$stage/bin" "$stage/sbin"
  install -m 0755 "$base" "$stage/bin/busybox"
  for applet in sh mount umount ls cat mkdir dmesg ps tar mktemp mv rm rmdir; do ln -s busybox "$stage/bin/$applet"; done
  for applet in insmod poweroff reboot; do ln -s ../bin/busybox "$stage/sbin/$applet"; done
fi

install -d -m 0755 "$stage"/{sbin,etc,lib/modules,proc,sys,dev,run,mnt}
install -d -m 1777 "$stage/tmp"
# The kernel opens /dev/console for PID 1 before /init runs; the kernel's own built-in
# initramfs normally has it, but not every kernel has that one.
if [ "$(id -u)" -eq 0 ] && [ ! -e "$stage/dev/console" ]; then mknod -m 0600 "$stage/dev/console" c 5 1; fi
install -m 0755 "$agent" "$stage/sbin/hull-agent"
while read -r ko; do
  install -m 0644 "$modules/$ko" "$stage/lib/modules/$ko"
done <"$modules/load-order"
install -m 0644 "$modules/load-order" "$stage/lib/modules/load-order"
if [ -f "$probe" ]; then
  is_static "$probe" || hull_die "$probe is dynamically linked; build it with probe/build-probe.sh"
  install -d -m 0755 "$stage/usr/lib/hull/probe"
  install -m 0755 "$probe" "$stage/usr/lib/hull/probe/hull-probe"
fi

tail="kernel $kver agent $(hull_sha12 "$agent") base $base_label"
printf 'hull-guest-inputs %s %s\n' "$(hull_sha12_text "$inputs")" "$tail" >"$stage/etc/hull-guest-version"
chmod 0644 "$stage/etc/hull-guest-version"

# PID 1 for the first instant only. A static Swift binary reads /proc/self/exe while its
# runtime starts, so /proc must be there before the agent runs; the agent mounts the rest
# (/sys, devtmpfs on /dev, …) and loads the modules itself.
cat >"$stage/init" <<'EOF'
#!/bin/sh
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
if [ -x /sbin/hull-agent ]; then
  exec /sbin/hull-agent "$@"
fi
echo "hull-guest: /sbin/hull-agent is missing or not executable; powering off" >/dev/console
poweroff -f
EOF
chmod 0755 "$stage/init"

hull_zero_mtimes "$stage"
owner=()
[ "$(id -u)" -eq 0 ] || owner=(--owner 0:0)   # without root the files are ours, not root's
tmp_out=$(mktemp "$out.tmp.XXXXXX")
(cd "$stage" && find . -print0 | LC_ALL=C sort -z \
  | cpio --null --create --format=newc --reproducible --quiet "${owner[@]}") \
  | gzip -n "-$gzip_level" >"$tmp_out"
chmod 0644 "$tmp_out"
mv -f "$tmp_out" "$out"
tmp_out=

line="hull-guest $(hull_sha12 "$out") $tail"
printf '%s\n' "$line" >"$version_file.tmp"
chmod 0644 "$version_file.tmp"
mv -f "$version_file.tmp" "$version_file"
printf '%s\n' "$inputs" >"$stamp"
hull_say "initramfs $(du -h "$out" | cut -f1) ($line) in $(hull_since "$started")"
