#!/usr/bin/env bash
# What a virtio-fs volume costs a vm container, measured in one run against the same
# container without one:
#   - start: median wall time of `hull run --rm busybox true` with and without
#     `-v DIR:/data`, and their ratio (the volume's virtiofsd, shared guest memory, the
#     guest mounting the share);
#   - memory: an idle container's QEMU (resident, of which shared memory), and its
#     virtiofsd, with and without the volume.
#
#   bench/volume.sh [RUNS] [MODE]   (default 5 vm; needs scripts/setup.sh to have run)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
mode=${2:-vm}
hull=.build/debug/hull
[ -x "$hull" ] || { echo "bench: $hull missing: run scripts/setup.sh" >&2; exit 1; }
dir=$(mktemp -d /tmp/hull-bench-volume.XXXXXX)
trap 'rm -rf "$dir"; for c in bench-vol-a bench-vol-b; do "$hull" rm -f "$c" >/dev/null 2>&1 || true; done' EXIT

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
timed() { local t0 t1; t0=$(now); "$@" >/dev/null; t1=$(now); awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}'; }

"$hull" run --rm --isolation "$mode" busybox true >/dev/null   # hulld up, image disk built
plain=() volume=()
for _ in $(seq "$runs"); do
  plain+=("$(timed "$hull" run --rm --isolation "$mode" busybox true)")
  volume+=("$(timed "$hull" run --rm --isolation "$mode" -v "$dir:/data" busybox true)")
done
p=$(printf '%s\n' "${plain[@]}" | median)
v=$(printf '%s\n' "${volume[@]}" | median)
printf 'hull run --rm busybox true (%s)            median %6.2f s  (runs: %s)\n' "$mode" "$p" "${plain[*]}"
printf 'hull run --rm -v DIR:/data busybox true     median %6.2f s  (runs: %s)\n' "$v" "${volume[*]}"
awk -v a="$v" -v b="$p" 'BEGIN{printf "ratio with/without a volume: %.2fx\n", a/b}'

[ "$mode" = vm ] || exit 0
# Idle memory: QEMU's VmRSS and RssShmem (kB) after the guest settled, and virtiofsd's.
idle() {
  local name=$1; shift
  "$hull" run -d --name "$name" "$@" busybox sleep 600 >/dev/null
  sleep 5
  local domain pid
  # The guest's domain as hulld named it (hull-<6 hex of HULL_HOME>-NAME).
  domain=$("$hull" inspect "$name" | python3 -c 'import json, sys; print(json.load(sys.stdin)[0]["domain"])')
  pid=$(cat "/run/libvirt/qemu/$domain.pid")
  local rss shm vfs=0
  rss=$(awk '/^VmRSS/ {print $2}' "/proc/$pid/status")
  shm=$(awk '/^RssShmem/ {print $2}' "/proc/$pid/status")
  # (virtiofsd of every guest with volumes: run this with no other such guest up)
  for v in $(pgrep -f "virtiofsd --socket-path" || true); do
    vfs=$((vfs + $(awk '/^VmRSS/ {print $2}' "/proc/$v/status")))
  done
  echo "$rss $shm $vfs"
}
read -r rss_a shm_a _ < <(idle bench-vol-a)
"$hull" rm -f bench-vol-a >/dev/null
read -r rss_b shm_b vfs_b < <(idle bench-vol-b -v "$dir:/data")
printf 'idle QEMU without a volume: %6d KiB resident (%d KiB shared)\n' "$rss_a" "$shm_a"
printf 'idle QEMU with a volume:    %6d KiB resident (%d KiB shared: the memfd guest memory), virtiofsd %d KiB\n' "$rss_b" "$shm_b" "$vfs_b"
