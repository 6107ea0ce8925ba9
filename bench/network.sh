#!/usr/bin/env bash
# Network cost per isolation mode: TCP throughput from a container to the host over a
# published port (-p: hulld's PortProxy, the hub, the container's link) and the time of a
# whole small request (connect + reply), beside the same server on the host's loopback
# (the baseline), medians of RUNS, in one run. Traffic stays on 127.0.0.1 and inside the
# hub hulld made.
#
#   bench/network.sh [RUNS] [MODES]     (default 5, "process vm"; needs scripts/setup.sh)
#
# gvisor is not in the default: Debian 12's runsc (20221219, hostinet, ptrace) ends a
# container's large sends early with a clean FIN (64 MiB: 20–67 MB arrive, measured also
# straight from the hub with busybox httpd and with `nc -e cat`), so its throughput row
# would measure truncated transfers (docs/networking.md).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
modes=${2:-process vm}
hull=.build/debug/hull
[ -x "$hull" ] || { echo "bench: $hull missing: run scripts/setup.sh" >&2; exit 1; }
command -v curl >/dev/null || { echo "bench: curl missing: apt-get install curl (scripts/setup.sh does)" >&2; exit 1; }
size_mib=64

median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

# measure URL_BASE → "MB/s ms": median download speed of /big, median total time of /small.
measure() {
  local base=$1 speeds=() times=()
  for _ in $(seq "$runs"); do
    # A transfer that ends short fails curl (18) and the bench: no figure from half a file.
    speeds+=("$(curl -sS -o /dev/null -m 120 -w '%{speed_download}' "$base/big" | awk '{printf "%.1f", $1/1048576}')")
    times+=("$(curl -s -o /dev/null -m 10 -w '%{time_total}' "$base/small" | awk '{printf "%.2f", $1*1000}')")
  done
  echo "$(printf '%s\n' "${speeds[@]}" | median) $(printf '%s\n' "${times[@]}" | median)"
}

site=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$site"; for m in $modes; do "$hull" rm -f "netbench-$m" >/dev/null 2>&1 || true; done' EXIT
dd if=/dev/zero of="$site/big" bs=1M count=$size_mib status=none
echo x > "$site/small"
port=$((20000 + RANDOM % 10000))
busybox httpd -f -p "127.0.0.1:$port" -h "$site" &
server=$!
sleep 0.3
read -r base_speed base_ms < <(measure "http://127.0.0.1:$port")

printf '%-10s %12s %10s %14s %10s\n' "where" "MB/s" "x host" "request ms" "x host"
printf '%-10s %12s %10s %14s %10s\n' "host" "$base_speed" "1.00" "$base_ms" "1.00"
for mode in $modes; do
  "$hull" run -d --name "netbench-$mode" --isolation "$mode" -p 8080 --tmpfs /w:size=80m busybox sh -c \
    "mkdir -p /w && dd if=/dev/zero of=/w/big bs=1M count=$size_mib 2>/dev/null && echo x > /w/small && exec httpd -f -p 8080 -h /w" >/dev/null
  published=$("$hull" port "netbench-$mode" 8080)
  for _ in $(seq 360); do curl -s -o /dev/null -m 2 "http://$published/small" && break; sleep 0.5; done
  read -r speed ms < <(measure "http://$published")
  printf '%-10s %12s %10s %14s %10s\n' "$mode" "$speed" "$(awk -v a="$speed" -v b="$base_speed" 'BEGIN{printf "%.2f", a/b}')" \
    "$ms" "$(awk -v a="$ms" -v b="$base_ms" 'BEGIN{printf "%.2f", a/b}')"
  "$hull" rm -f "netbench-$mode" >/dev/null
done
