#!/usr/bin/env bash
# The README's first command: install what is missing, build, and run the built-in image
# in a fresh guest VM.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
.build/debug/hull doctor || true
echo "+ hull run --rm busybox sh -c 'echo Hello from inside a Hull guest: \$(uname -sr)'"
exec .build/debug/hull run --rm busybox sh -c 'echo "Hello from inside a Hull guest: $(uname -sr)"'
