#!/usr/bin/env bash
# hulld, measured beside a baseline in the same run:
#   1. exec round trip: `hull exec C true` (hull CLI → hulld → the container → back) for a
#      container of each isolation mode (vm: agent in the guest; gvisor: runsc exec;
#      process: runc exec), beside a bare `runc exec C true` of a runc container from the
#      same busybox rootfs;
#   2. API throughput of `ps` (GET /v1/containers?all=true) with 50 containers, beside
#      GET /v1/version on the same keep-alive connection (the HTTP stack's own cost),
#      and `hull ps -a` wall time.
#
#   bench/daemon.sh [RUNS]    (default 20; needs scripts/setup.sh; installs runc if missing)
#
# Uses its own hulld (own socket and HULL_HOME under /tmp), so it disturbs no other.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib.sh
runs=${1:-20}
real_home=${HULL_HOME:-/var/lib/hull}
hull=$PWD/.build/debug/hull
hulld=$PWD/.build/debug/hulld
[ -x "$hull" ] && [ -x "$hulld" ] || { echo "bench: build hull and hulld first (scripts/setup.sh)" >&2; exit 1; }
command -v runc >/dev/null || hull_install_packages runc
command -v runsc >/dev/null || hull_install_packages runsc

work=$(mktemp -d /tmp/hull-bench-daemon.XXXXXX)
chmod 0755 "$work"   # QEMU runs as libvirt-qemu and opens the disks below
export HULL_HOME=$work/home HULL_SOCKET=$work/hulld.sock HULL_NO_AUTOSTART=1
mkdir -p "$HULL_HOME/images"
ln -s "$real_home/kernel" "$HULL_HOME/kernel"
ln -s "$real_home/guest" "$HULL_HOME/guest"
ln -s "$real_home/images/busybox" "$HULL_HOME/images/busybox"
"$hulld" --socket "$HULL_SOCKET" --log-level warning 2>"$work/hulld.log" &
hulld_pid=$!
cleanup() {
  "$hull" rm -f $("$hull" ps -a -q 2>/dev/null) >/dev/null 2>&1 || true
  kill "$hulld_pid" 2>/dev/null || true
  runc kill bench-runc KILL 2>/dev/null || true
  sleep 0.2
  runc delete -f bench-runc 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
for _ in $(seq 100); do [ -S "$HULL_SOCKET" ] && break; sleep 0.05; done

now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }
spread() { sort -n | awk '{a[NR]=$1} END {printf "%s..%s", a[1], a[NR]}'; }
ms() { awk -v ns="$1" 'BEGIN{printf "%.1f", ns/1e6}'; }

# --- exec round trip ------------------------------------------------------------------
modes="vm gvisor process"
declare -A hull_exec
for mode in $modes; do
  "$hull" run -d --isolation "$mode" --name "bench-exec-$mode" busybox sleep 100000 >/dev/null
  "$hull" exec "bench-exec-$mode" true   # warm-up
  samples=()
  for _ in $(seq "$runs"); do t0=$(now); "$hull" exec "bench-exec-$mode" true; t1=$(now); samples+=($((t1 - t0))); done
  hull_exec[$mode]="${samples[*]}"
done

bundle=$work/runc
mkdir -p "$bundle/rootfs"
cp -a "$real_home/images/busybox/rootfs/." "$bundle/rootfs/"
(cd "$bundle" && runc spec)
python3 - "$bundle/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p))
c["process"]["terminal"] = False
c["process"]["args"] = ["sleep", "100000"]
json.dump(c, open(p, "w"))
PY
runc run -d --bundle "$bundle" bench-runc </dev/null >/dev/null 2>&1
runc exec bench-runc true
runc_exec=()
for _ in $(seq "$runs"); do t0=$(now); runc exec bench-runc true; t1=$(now); runc_exec+=($((t1 - t0))); done

# --- ps throughput with 50 containers ---------------------------------------------------------
for i in $(seq 49); do "$hull" create --name "bench-ps-$i" busybox true >/dev/null; done
rates=$(python3 - "$HULL_SOCKET" "$runs" <<'PY'
import socket, sys, time
path, runs = sys.argv[1], int(sys.argv[2])
def rate(target, n=200):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    f = s.makefile("rb")
    t0 = time.perf_counter()
    for _ in range(n):
        s.sendall(f"GET {target} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())
        length = None
        while True:
            line = f.readline()
            if line in (b"\r\n", b""): break
            if line.lower().startswith(b"content-length:"): length = int(line.split(b":")[1])
        f.read(length)
    dt = time.perf_counter() - t0
    s.close()
    return n / dt
ps = sorted(rate("/v1/containers?all=true") for _ in range(5))[2]
version = sorted(rate("/v1/version") for _ in range(5))[2]
print(f"{ps:.0f} {version:.0f}")
PY
)
ps_rate=${rates% *}; version_rate=${rates#* }
count=$("$hull" ps -a -q | wc -l)
hull_ps=()
for _ in $(seq "$runs"); do t0=$(now); "$hull" ps -a >/dev/null; t1=$(now); hull_ps+=($((t1 - t0))); done

re=$(printf '%s\n' "${runc_exec[@]}" | median)
hp=$(printf '%s\n' "${hull_ps[@]}" | median)
echo "exec round trip, median of $runs (min..max in ms)"
for mode in $modes; do
  # shellcheck disable=SC2086
  he=$(printf '%s\n' ${hull_exec[$mode]} | median)
  # shellcheck disable=SC2086
  sp=$(printf '%s\n' ${hull_exec[$mode]} | spread)
  printf '  hull exec C true (%-7s) %8s ms  (%s)   ratio to bare runc exec %5s\n' "$mode" "$(ms "$he")" \
    "$(awk -v s="$sp" 'BEGIN{split(s,a,"\\.\\."); printf "%.1f..%.1f", a[1]/1e6, a[2]/1e6}')" \
    "$(awk -v a="$he" -v b="$re" 'BEGIN{printf "%.2f", a/b}')"
done
printf '  runc exec C true (bare)   %8s ms  (%s)\n' "$(ms "$re")" \
  "$(printf '%s\n' "${runc_exec[@]}" | spread | awk '{split($0,a,"\\.\\."); printf "%.1f..%.1f", a[1]/1e6, a[2]/1e6}')"
echo "ps API with $count containers (median of 5 rounds of 200 keep-alive requests)"
printf '  GET /v1/containers?all=true  %6s req/s\n' "$ps_rate"
printf '  GET /v1/version           %6s req/s\n' "$version_rate"
printf '  ratio ps/version          %6s\n' "$(awk -v a="$ps_rate" -v b="$version_rate" 'BEGIN{printf "%.2f", a/b}')"
printf '  hull ps -a (CLI)          %6s ms median\n' "$(ms "$hp")"
