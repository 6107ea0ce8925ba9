#!/usr/bin/env bash
# The isolation modes side by side: `hull bench` (medians and spreads per mode, with the
# probe's loops run directly on the host as the baseline in the same run), its chart
# written to docs/bench-isolation.svg (and .png where rsvg-convert is installed).
#
#   bench/isolation.sh [RUNS]      (default 5; needs scripts/setup.sh to have run)
#
# Workloads (Sources/HullRuntime/Bench/IsolationBench.swift): cold start to first output,
# stdout throughput, a getppid loop, a file create/write/read/unlink loop in the rootfs,
# host memory per idle container, exec latency (Sandbox.exec of `true` in a running container).
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
hull=${HULL_BIN:-.build/debug/hull}
[ -x "$hull" ] || { echo "bench: $hull missing: run scripts/setup.sh" >&2; exit 1; }
exec "$hull" bench --runs "$runs" --chart docs/bench-isolation.svg
