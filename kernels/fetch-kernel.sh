#!/usr/bin/env bash
# Fetches the guest kernel from Debian's linux-image-cloud-amd64 and keeps only the
# modules the guest needs.
#
#   kernels/fetch-kernel.sh
#
# Result ($HULL_HOME, default /var/lib/hull):
#   kernel/vmlinuz              the kernel image
#   kernel/config               its build configuration (to answer "is X built in?")
#   kernel/version              "<kver> <package>=<version>", e.g.
#                               6.1.0-56-cloud-amd64 linux-image-6.1.0-56-cloud-amd64=6.1.192-2
#   kernel/modules/*.ko         kernels/modules.list plus their dependencies, uncompressed
#   kernel/modules/load-order   one .ko name a line, dependencies first
#
# The versioned package behind the metapackage is downloaded with `apt-get download`
# into $HULL_HOME/cache/ and unpacked with `dpkg-deb -x` (no root mount, nothing
# installed on the host). Quick and silent-ish when the recorded version is apt's
# candidate and kernels/modules.list is unchanged.
#
# Environment:
#   HULL_KERNEL_PACKAGE   pin the versioned package, e.g. linux-image-6.1.0-56-cloud-amd64
#                         (optionally with =VERSION)
#   HULL_KERNEL_META      the metapackage to follow (default linux-image-cloud-amd64)
set -euo pipefail
. "$(dirname "$0")/../scripts/lib.sh"

# Any change to this script redoes the kernel directory (from the cached .deb).
recipe=$(hull_sha12 "$0")
meta=${HULL_KERNEL_META:-linux-image-cloud-amd64}
modules_list=$HULL_REPO/kernels/modules.list
kernel_dir=$HULL_HOME/kernel
cache=$HULL_HOME/cache
stamp=$cache/kernel.inputs

hull_lock kernel
hull_install_packages kmod xz-utils zstd
install -d -m 0710 "$HULL_HOME"   # modes: docs/security.md
install -d -m 0700 "$cache"

# The module names, without comments and blank lines.
modules=$(sed -e 's/#.*//' "$modules_list" | tr -s ' \t' '\n\n' | sed '/^$/d')
[ -n "$modules" ] || hull_die "$modules_list names no modules"

# Sets pkg and ver to the versioned kernel package and apt's candidate version of it
# (empty when the apt lists do not know them).
resolve() {
  pkg=${HULL_KERNEL_PACKAGE:-}
  ver=
  if [ -n "$pkg" ]; then
    case $pkg in *=*) ver=${pkg#*=}; pkg=${pkg%%=*} ;; esac
  else
    # The candidate metapackage's Depends names the versioned package, normally with
    # its exact version ("linux-image-6.1.0-56-cloud-amd64 (= 6.1.192-2)"): one apt
    # call instead of `apt-cache depends` + `apt-cache policy` (each ~0.4 s on hosts
    # whose apt keeps no binary cache, like Docker-derived images).
    local dep
    dep=$(apt-cache show --no-all-versions "$meta" 2>/dev/null \
      | sed -n 's/^Depends: //p' | head -n1 | tr ',|' '\n\n' \
      | sed -n 's/^ *\(linux-image-[0-9][^ ]*\)\( *(= *\([^)]*\))\)\{0,1\}.*/\1 \3/p' | head -n1)
    pkg=${dep%% *}
    ver=${dep#* }
  fi
  [ -n "$pkg" ] || return 0
  if [ -z "$ver" ]; then
    ver=$(apt-cache policy "$pkg" 2>/dev/null | awk '$1 == "Candidate:" { print $2; exit }')
    [ "$ver" = "(none)" ] && ver=
  fi
  return 0
}

resolve
if [ -z "$pkg" ] || [ -z "$ver" ]; then
  # A fresh machine (or one whose lists predate this kernel): ask the mirror once.
  if [ "$(id -u)" -eq 0 ]; then
    hull_say "apt does not know ${pkg:-$meta} yet: running apt-get update"
    # Not fatal here: offline, the recorded kernel (if any) is still good.
    if (hull_apt_update_once); then HULL_APT_UPDATED=1; export HULL_APT_UPDATED; fi
    resolve
  fi
fi

recorded=$(head -n1 "$kernel_dir/version" 2>/dev/null || true)
if [ -z "$pkg" ] || [ -z "$ver" ]; then
  if [ -z "${HULL_KERNEL_PACKAGE:-}" ] && [ -n "$recorded" ] && [ -f "$kernel_dir/vmlinuz" ]; then
    hull_warn "apt knows no candidate for ${pkg:-$meta}; keeping the recorded kernel $recorded"
    exit 0
  fi
  hull_die "apt knows no package ${pkg:-$meta} (is Debian's main/security archive in /etc/apt/sources.list?)"
fi

kver=${pkg#linux-image-}
want="$kver $pkg=$ver"
inputs="$want modules $(hull_sha12_text "$modules") recipe $recipe"

# Quick path: everything recorded matches and every listed module is present.
if [ "$recorded" = "$want" ] && [ "$(cat "$stamp" 2>/dev/null || true)" = "$inputs" ] \
   && [ -s "$kernel_dir/vmlinuz" ] && [ -s "$kernel_dir/modules/load-order" ]; then
  complete=1
  while read -r ko; do
    [ -s "$kernel_dir/modules/$ko" ] || { complete=0; break; }
  done <"$kernel_dir/modules/load-order"
  if [ "$complete" = 1 ]; then
    hull_say "kernel $kver ($pkg=$ver) up to date"
    exit 0
  fi
fi

started=$(hull_now)
work=$(mktemp -d "$cache/kernel-work.XXXXXX")
stage=
cleanup() { rm -rf "$work" ${stage:+"$stage"}; }
trap cleanup EXIT

# Download unless the cache already holds this exact version.
deb=$cache/${pkg}_${ver}.deb
download() {
  local dl=$work/download
  install -d -m 0755 "$dl"
  # apt drops privileges to _apt for downloads; give it a directory it may write.
  if [ "$(id -u)" -eq 0 ] && id _apt >/dev/null 2>&1; then chown _apt "$dl"; fi
  if ! (cd "$dl" && hull_run_logged "apt-get download $pkg=$ver" apt-get download -q "$pkg=$ver"); then
    return 1
  fi
  local got
  got=$(find "$dl" -maxdepth 1 -name '*.deb' | head -n1)
  [ -n "$got" ] || hull_die "apt-get download $pkg=$ver left no .deb"
  chown 0:0 "$got" 2>/dev/null || true
  chmod 0644 "$got"
  mv -f "$got" "$deb"
}
if [ ! -s "$deb" ]; then
  if ! download; then
    # Stale lists name a file the mirror has replaced: refresh them once and start over,
    # since the candidate may have moved on.
    [ "${HULL_APT_UPDATED:-}" = 1 ] && hull_die "cannot download $pkg=$ver"
    hull_say "retrying after apt-get update"
    hull_apt_update_once
    rm -rf "$work"
    exec {HULL_LOCK_FD}>&-
    exec "$0" "$@"
  fi
  hull_say "downloaded $pkg=$ver ($(du -h "$deb" | cut -f1))"
fi

tree=$work/tree
if ! dpkg-deb -x "$deb" "$tree" 2>"$work/dpkg.log"; then
  cat "$work/dpkg.log" >&2
  rm -f "$deb"   # a truncated download: the next run fetches it again
  hull_die "cannot unpack $deb (removed it; run again to download it afresh)"
fi

# Debian still ships /lib/modules; later releases may move it under /usr.
if [ ! -d "$tree/lib/modules/$kver" ] && [ -d "$tree/usr/lib/modules/$kver" ] && [ ! -e "$tree/lib" ]; then
  ln -s usr/lib "$tree/lib"
fi
[ -d "$tree/lib/modules/$kver" ] || hull_die "$pkg has no lib/modules/$kver"
vmlinuz=$tree/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || hull_die "$pkg has no boot/vmlinuz-$kver"

depmod -b "$tree" "$kver" 2>"$work/depmod.log" || { cat "$work/depmod.log" >&2; hull_die "depmod failed on $pkg"; }

# The dependency closure, in load order: modprobe lists each module's dependencies
# before it, so keeping the first occurrence of every file keeps the order valid.
# -C /dev/null: the host's /etc/modprobe.d (aliases, blacklists, options) is not the guest's.
declare -A seen=()
order=()
builtin=()
for m in $modules; do
  out=$(modprobe -C /dev/null -d "$tree" -S "$kver" --show-depends "$m" 2>&1) \
    || hull_die "module $m (kernels/modules.list) is not in $pkg: $out"
  while read -r kind path _; do
    case $kind in
      insmod)
        if [ -z "${seen[$path]:-}" ]; then seen[$path]=1; order+=("$path"); fi ;;
      builtin) builtin+=("$path") ;;
    esac
  done <<<"$out"
done

stage=$(mktemp -d "$HULL_HOME/.kernel-new.XXXXXX")
chmod 0755 "$stage"
install -d -m 0755 "$stage/modules"
: >"$stage/modules/load-order"
for path in "${order[@]}"; do
  base=${path##*/}
  name=${base%%.ko*}.ko
  [ ! -e "$stage/modules/$name" ] || hull_die "two modules named $name in the closure"
  case $base in
    *.ko) cp "$path" "$stage/modules/$name" ;;
    *.ko.xz) xz -dc "$path" >"$stage/modules/$name" ;;
    *.ko.zst) zstd -qdc "$path" >"$stage/modules/$name" ;;
    *.ko.gz) gzip -dc "$path" >"$stage/modules/$name" ;;
    *) hull_die "unknown module format: $path" ;;
  esac
  chmod 0644 "$stage/modules/$name"
  printf '%s\n' "$name" >>"$stage/modules/load-order"
done
install -m 0644 "$vmlinuz" "$stage/vmlinuz"
if [ -f "$tree/boot/config-$kver" ]; then install -m 0644 "$tree/boot/config-$kver" "$stage/config"; fi
printf '%s\n' "$want" >"$stage/version"
chmod 0644 "$stage/modules/load-order" "$stage/version"

# Swap the new tree in whole: a reader may find no kernel for an instant, never a mix.
old=
if [ -e "$kernel_dir" ]; then old=$HULL_HOME/.kernel-old.$$; mv "$kernel_dir" "$old"; fi
mv "$stage" "$kernel_dir"
stage=
[ -z "$old" ] || rm -rf "$old"
printf '%s\n' "$inputs" >"$stamp"

# Keep only the current package in the cache.
for other in "$cache"/linux-image-*.deb; do
  [ "$other" = "$deb" ] || rm -f "$other"
done

msg="kernel $kver ($pkg=$ver): ${#order[@]} modules, $(du -sk "$kernel_dir/modules" | cut -f1) KiB"
[ ${#builtin[@]} -eq 0 ] || msg="$msg; built in: ${builtin[*]}"
hull_say "$msg, in $(hull_since "$started")"
