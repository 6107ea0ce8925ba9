#!/usr/bin/env bash
# Pull throughput from a loopback registry: `hull pull` beside `skopeo copy docker://…
# oci:…` of the same image, medians over RUNS and their ratio, in one run.
#
#   bench/pull.sh [RUNS] [LAYERS] [LAYER_MIB]     (defaults 5, 8, 16; needs scripts/setup.sh)
#
# The script starts Debian's docker-registry on a free loopback port with its own config
# and storage in a temporary folder, builds an image of LAYERS layers of LAYER_MIB MiB of
# random bytes each (incompressible: gzip does not shrink them, so the bytes on the wire
# are the image size) with umoci, pushes it there with skopeo, and then pulls it RUNS
# times with each tool into an empty destination (a fresh HULL_HOME for hull, a fresh OCI
# layout for skopeo). Both verify every blob's digest and write it to disk.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
layers=${2:-8}
layer_mib=${3:-16}
hull=$PWD/${HULL_BIN:-.build/debug/hull}
[ -x "$hull" ] || { echo "bench: $hull missing: run scripts/setup.sh (or set HULL_BIN)" >&2; exit 1; }
for tool in docker-registry skopeo umoci python3; do
  command -v "$tool" >/dev/null || { echo "bench: $tool missing: run scripts/setup.sh" >&2; exit 1; }
done

work=$(mktemp -d /tmp/hull-bench-pull.XXXXXX)
registry_pid=
cleanup() {
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$work/config.yml" <<YAML
version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/storage
http:
  addr: 127.0.0.1:$port
YAML
docker-registry serve "$work/config.yml" >"$work/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do
  python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break
  sleep 0.1
done

echo "bench: building a $layers-layer image of ${layer_mib} MiB random layers"
umoci init --layout "$work/layout" >/dev/null
umoci new --image "$work/layout:big" >/dev/null
for i in $(seq "$layers"); do
  umoci unpack --image "$work/layout:big" "$work/bundle" >/dev/null
  head -c $((layer_mib << 20)) /dev/urandom >"$work/bundle/rootfs/layer-$i.bin"
  umoci repack --image "$work/layout:big" "$work/bundle" >/dev/null
  rm -rf "$work/bundle"
done
ref=127.0.0.1:$port/bench/big:1
skopeo copy --quiet --dest-tls-verify=false "oci:$work/layout:big" "docker://$ref"
bytes=$(skopeo inspect --raw --tls-verify=false "docker://$ref" | python3 -c 'import json,sys; print(sum(l["size"] for l in json.load(sys.stdin)["layers"]))')

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END {if (NR%2) print a[(NR+1)/2]; else print (a[NR/2]+a[NR/2+1])/2}'; }

hull_times=()
skopeo_times=()
for run in $(seq "$runs"); do
  # Alternate which tool goes first so neither always gets the warmer page cache.
  for tool in $( [ $((run % 2)) = 1 ] && echo "hull skopeo" || echo "skopeo hull"); do
    dest="$work/dest-$tool-$run"
    t0=$(now)
    if [ "$tool" = hull ]; then
      HULL_HOME=$dest "$hull" pull -q "$ref" >/dev/null
    else
      skopeo copy --quiet --src-tls-verify=false "docker://$ref" "oci:$dest:big"
    fi
    t1=$(now)
    elapsed=$(awk -v a="$t0" -v b="$t1" 'BEGIN{print b-a}')
    if [ "$tool" = hull ]; then hull_times+=("$elapsed"); else skopeo_times+=("$elapsed"); fi
    rm -rf "$dest"
  done
done

mh=$(printf '%s\n' "${hull_times[@]}" | median)
ms=$(printf '%s\n' "${skopeo_times[@]}" | median)
mib=$(awk -v b="$bytes" 'BEGIN{printf "%.1f", b/1048576}')
printf 'image: %s layers, %s MiB compressed, loopback registry (plain HTTP), runs: %s\n' "$layers" "$mib" "$runs"
printf '%-40s median %6.3f s  %7.1f MiB/s  (runs: %s)\n' "hull pull" "$mh" "$(awk -v m="$mib" -v t="$mh" 'BEGIN{print m/t}')" "$(printf '%.2f ' "${hull_times[@]}")"
printf '%-40s median %6.3f s  %7.1f MiB/s  (runs: %s)\n' "skopeo copy docker:// oci:" "$ms" "$(awk -v m="$mib" -v t="$ms" 'BEGIN{print m/t}')" "$(printf '%.2f ' "${skopeo_times[@]}")"
printf '%-40s %6.2fx\n' "ratio hull / skopeo (time)" "$(awk -v a="$mh" -v b="$ms" 'BEGIN{print a/b}')"
