#!/usr/bin/env bash
# Container start from a cached image disk versus the first start (which builds the disk:
# umoci unpack + mkfs.ext4 -d), their ratio, and the size and build time of the built-in
# busybox image's rootfs disk.
#
#   bench/image-start.sh [RUNS]      (default 5; needs scripts/setup.sh to have run)
#
# First start = `hull run --rm busybox true` right after deleting the image's cached disk
# $HULL_HOME/disks/<manifest hex>.ext4; cached start = the same command with the disk in
# place (only a qcow2 overlay is made). Besides the wall time of the whole run, the run's
# own debug log gives the time to "root disk ready" and to "process started", which are
# far less noisy than a TCG boot. The disk build alone is timed with
# `hull image disk --rebuild busybox`, the built-in image's creation (tar + gzip of the
# rootfs, into the store) with `hull image import-builtin`.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
home=${HULL_HOME:-/var/lib/hull}
export HULL_HOME=$home
hull=.build/debug/hull
[ -x "$hull" ] || { echo "bench: $hull missing: run scripts/setup.sh" >&2; exit 1; }

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN{print b-a}'; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
list() { printf '%.2f ' "$@"; }

# Makes the built-in image if it is not there yet, and warms the page cache.
"$hull" run --rm busybox true

digest=$(python3 - "$home/oci/index.json" <<'PY'
import json, sys
for m in json.load(open(sys.argv[1]))["manifests"]:
    if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == "docker.io/library/busybox:latest":
        print(m["digest"].split(":", 1)[1])
PY
)
[ -n "$digest" ] || { echo "bench: busybox:latest is not in $home/oci/index.json" >&2; exit 1; }
disk=$home/disks/$digest.ext4

log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Runs hull once; prints "wall disk_ready_s process_started_s" (n/a when not logged).
timed_run() {
  local t0 wall
  t0=$(now)
  "$hull" run --rm --log-level debug busybox true 2>"$log" || { cat "$log" >&2; exit 1; }
  wall=$(since "$t0")
  phase() { sed -n "s/.*ms=\([0-9]*\) .*\] $1\$/\1/p" "$log" | head -n1 | awk '{printf "%.3f", $1/1000} END {if (NR==0) printf "n/a"}'; }
  echo "$wall $(phase 'root disk ready') $(phase 'process started')"
}

first=(); first_disk=(); first_started=()
cached=(); cached_disk=(); cached_started=()
for _ in $(seq "$runs"); do
  rm -f "$disk"
  read -r w d p < <(timed_run); first+=("$w"); first_disk+=("$d"); first_started+=("$p")
  [ -f "$disk" ] || { echo "bench: $disk was not built" >&2; exit 1; }
  read -r w d p < <(timed_run); cached+=("$w"); cached_disk+=("$d"); cached_started+=("$p")
done

builds=()
imports=()
if "$hull" image --help >/dev/null 2>&1; then
  for _ in $(seq "$runs"); do
    out=$("$hull" image disk --rebuild busybox)
    builds+=("$(sed -n 's/^built in \([0-9.]*\) s$/\1/p' <<<"$out")")
    t0=$(now); "$hull" image import-builtin >/dev/null; imports+=("$(since "$t0")")
  done
fi

mf=$(printf '%s\n' "${first[@]}" | median)
mc=$(printf '%s\n' "${cached[@]}" | median)
apparent=$(stat -c %s "$disk")
allocated=$(( $(stat -c %b "$disk") * $(stat -c %B "$disk") ))
rootfs_kib=$(du -sk --apparent-size "$home/images/busybox/rootfs" | cut -f1)

printf 'runs: %s, image busybox:latest sha256:%s\n' "$runs" "${digest:0:12}"
printf '%-46s median %6.3f s  (runs: %s)\n' "first start (disk built: unpack + mkfs)" "$mf" "$(list "${first[@]}")"
printf '%-46s median %6.3f s  (runs: %s)\n' "cached start (qcow2 overlay on cached disk)" "$mc" "$(list "${cached[@]}")"
printf '%-46s %6.2fx\n' "ratio first / cached (wall)" "$(awk -v a="$mf" -v b="$mc" 'BEGIN{print a/b}')"
if [ "${first_disk[0]}" != n/a ]; then
  fd=$(printf '%s\n' "${first_disk[@]}" | median); cd_=$(printf '%s\n' "${cached_disk[@]}" | median)
  fs=$(printf '%s\n' "${first_started[@]}" | median); cs=$(printf '%s\n' "${cached_started[@]}" | median)
  printf '%-46s median %6.3f s  (runs: %s)\n' "first start: root disk ready" "$fd" "$(list "${first_disk[@]}")"
  printf '%-46s median %6.3f s  (runs: %s)\n' "cached start: root disk ready" "$cd_" "$(list "${cached_disk[@]}")"
  printf '%-46s %6.1fx\n' "ratio first / cached (root disk ready)" "$(awk -v a="$fd" -v b="$cd_" 'BEGIN{print (b>0)?a/b:0}')"
  printf '%-46s median %6.3f s  (runs: %s)\n' "first start: process started" "$fs" "$(list "${first_started[@]}")"
  printf '%-46s median %6.3f s  (runs: %s)\n' "cached start: process started" "$cs" "$(list "${cached_started[@]}")"
  printf '%-46s %6.2fx\n' "ratio first / cached (process started)" "$(awk -v a="$fs" -v b="$cs" 'BEGIN{print a/b}')"
fi
if [ ${#builds[@]} -gt 0 ]; then
  printf '%-46s median %6.3f s  (runs: %s)\n' "rootfs disk build alone (hull image disk)" \
    "$(printf '%s\n' "${builds[@]}" | median)" "$(list "${builds[@]}")"
  printf '%-46s median %6.3f s  (runs: %s)\n' "built-in image creation (import-builtin)" \
    "$(printf '%s\n' "${imports[@]}" | median)" "$(list "${imports[@]}")"
else
  printf '%-46s n/a (hull image is not registered in this build)\n' "rootfs disk build alone"
fi
printf '%-46s %s MiB apparent (sparse), %s MiB allocated; rootfs tree %s KiB\n' "rootfs disk of busybox:latest" \
  "$(awk -v b="$apparent" 'BEGIN{printf "%.1f", b/1048576}')" "$(awk -v b="$allocated" 'BEGIN{printf "%.1f", b/1048576}')" "$rootfs_kib"
