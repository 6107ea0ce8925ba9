#!/usr/bin/env bash
# Builds the built-in container root filesystem from Debian's busybox-static, offline.
#
#   guest-agent/build-busybox-rootfs.sh [--busybox PATH] [--dest DIR]
#
# Result (DIR defaults to $HULL_HOME/images/busybox):
#   DIR/rootfs/    /bin/busybox, one symlink per applet where `busybox --list-full` puts
#                  it (/bin, /sbin, /usr/bin, /usr/sbin), /etc/passwd, /etc/group, an
#                  empty /etc/resolv.conf, and the usual empty directories
#   DIR/version    "busybox <version> rootfs <sha12 of the inputs>"; the runtime names
#                  its cached ext4 disk after this line, so it changes with the content
#
# The applet links come from `busybox --list-full`, never from `busybox --install`,
# which would write into the host. Every mtime is the epoch, so the same busybox gives
# the same tree. Rebuilds only when busybox or this recipe changed.
# (The OCI image of the built-in busybox reuses this tree: --dest points it elsewhere.)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

busybox=
dest=$HULL_HOME/images/busybox
while [ $# -gt 0 ]; do
  case $1 in
    --busybox) busybox=${2:?--busybox needs a path}; shift 2 ;;
    --dest) dest=${2:?--dest needs a directory}; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) hull_die "unknown argument $1 (see --help)" ;;
  esac
done
if [ -z "$busybox" ]; then
  hull_install_packages busybox-static
  busybox=/bin/busybox
fi
[ -x "$busybox" ] || hull_die "$busybox is not an executable busybox"
case $dest in /*) ;; *) dest=$PWD/$dest ;; esac

# The container has no C library: only a static busybox works there. (Debian's dynamic
# `busybox` package also installs /bin/busybox; busybox-static replaces it.)
linkage=$(LC_ALL=C ldd "$busybox" 2>&1 || true)
if ! grep -qE 'not a dynamic executable|statically linked' <<<"$linkage"; then
  hull_die "$busybox is dynamically linked: install busybox-static (apt-get install busybox-static)"
fi

hull_lock busybox-rootfs
install -d -m 0755 "$dest"

bb_version=$("$busybox" 2>&1 | sed -n '1s/^BusyBox v\([^ ]*\).*/\1/p')
[ -n "$bb_version" ] || hull_die "$busybox does not look like busybox"
want="busybox $bb_version rootfs $(hull_sha12_text "$(hull_sha256 "$busybox") $(hull_sha256 "$0")")"
if [ "$(head -n1 "$dest/version" 2>/dev/null || true)" = "$want" ] && [ -x "$dest/rootfs/bin/busybox" ]; then
  hull_say "busybox rootfs $bb_version up to date"
  exit 0
fi

started=$(hull_now)
stage=$(mktemp -d "$dest/.rootfs-new.XXXXXX")
old=
cleanup() { rm -rf ${stage:+"$stage"} ${old:+"$old"}; }
trap cleanup EXIT
chmod 0755 "$stage"

install -d -m 0755 "$stage"/{bin,sbin,usr/bin,usr/sbin,etc,proc,sys,dev,home,var,run,mnt}
install -d -m 0700 "$stage/root"
install -d -m 1777 "$stage/tmp" "$stage/var/tmp"
install -m 0755 "$busybox" "$stage/bin/busybox"

# One link per applet, relative so the tree works wherever it is mounted.
applets=$("$busybox" --list-full 2>/dev/null) || applets=$("$busybox" --list | sed 's|^|bin/|')
count=0
while read -r path; do
  case $path in
    bin/busybox|'') continue ;;
    */*) ;;
    *) continue ;;   # e.g. `linuxrc`, which belongs to an initrd, not a container
  esac
  dir=${path%/*}
  case $dir in
    bin) target=busybox ;;
    *) target=$(printf '%s' "$dir/" | sed 's|[^/]*/|../|g')bin/busybox ;;
  esac
  [ -d "$stage/$dir" ] || install -d -m 0755 "$stage/$dir"
  [ -e "$stage/$path" ] || [ -L "$stage/$path" ] || { ln -s "$target" "$stage/$path"; count=$((count + 1)); }
done <<<"$applets"
[ -L "$stage/bin/sh" ] || hull_die "$busybox has no sh applet"

cat >"$stage/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
cat >"$stage/etc/group" <<'EOF'
root:x:0:
nogroup:x:65534:
EOF
: >"$stage/etc/resolv.conf"
chmod 0644 "$stage"/etc/{passwd,group,resolv.conf}

hull_zero_mtimes "$stage"

if [ -e "$dest/rootfs" ]; then old=$dest/.rootfs-old.$$; mv "$dest/rootfs" "$old"; fi
mv "$stage" "$dest/rootfs"
stage=
printf '%s\n' "$want" >"$dest/version.tmp"
chmod 0644 "$dest/version.tmp"
mv -f "$dest/version.tmp" "$dest/version"
hull_say "busybox rootfs $bb_version: $count applets, $(du -sh "$dest/rootfs" | cut -f1) in $(hull_since "$started")"
