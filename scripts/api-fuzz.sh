#!/usr/bin/env bash
# Fuzzes hulld's API with schemathesis against docs/openapi.yaml (issue 18): a real hulld
# (--default-isolation process) in its own HULL_HOME, schemathesis over a loopback bridge
# (socat: TCP 127.0.0.1 → hulld's unix socket), bounded and deterministic. Fails on any
# server error, any answer the document does not describe, a schema-valid request
# refused, a schema-invalid one accepted, or a hulld that stops answering.
#
#   scripts/api-fuzz.sh [HULLD]      (HULLD: the hulld binary, default .build/debug/hulld)
#   HULL_FUZZ_INCLUDE=REGEX          only the paths REGEX matches (while working on them)
#
# Needs: schemathesis and socat (scripts/setup.sh installs both), the guest files of
# scripts/setup.sh under /var/lib/hull (the built-in busybox image is linked from there).
set -euo pipefail
cd "$(dirname "$0")/.."
export HULL_LOG_PREFIX=api-fuzz
. scripts/lib.sh

hulld=${1:-.build/debug/hulld}
[ -x "$hulld" ] || hull_die "no hulld at $hulld: swift build --product hulld first"
python3 -c 'import schemathesis' 2>/dev/null || hull_die "schemathesis is missing: scripts/setup.sh installs it (python3 -m pip install schemathesis==4.32.5)"
command -v socat >/dev/null || hull_die "socat is missing: scripts/setup.sh installs it (apt-get install socat)"
real_home=${HULL_HOME:-/var/lib/hull}
[ -d "$real_home/images/busybox" ] || hull_die "$real_home/images/busybox is missing: run scripts/setup.sh"

home=$(mktemp -d /tmp/hull-api-fuzz.XXXXXX)
chmod 0711 "$home"
mkdir -p "$home/images"
for link in kernel guest probe images/busybox; do
  [ -e "$real_home/$link" ] && ln -s "$real_home/$link" "$home/$link"
done
socket=$home/hulld.sock
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
hulld_pid= bridge_pid= registry_pid=
cleanup() {
  [ -n "$bridge_pid" ] && kill "$bridge_pid" 2>/dev/null || true
  [ -n "$registry_pid" ] && kill "$registry_pid" 2>/dev/null || true
  if [ -n "$hulld_pid" ] && kill -0 "$hulld_pid" 2>/dev/null; then
    kill -TERM "$hulld_pid" 2>/dev/null || true
    # hulld stops its gvisor/process containers first (each up to its stop timeout);
    # killed, it would leave them running.
    for _ in $(seq 300); do kill -0 "$hulld_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$hulld_pid" 2>/dev/null || true
  fi
  rm -rf "$home"
}
trap cleanup EXIT

HULL_HOME=$home "$hulld" --socket "$socket" --default-isolation process >"$home/hulld.log" 2>&1 &
hulld_pid=$!
answers() { curl -sf --max-time 5 --unix-socket "$socket" http://localhost/v1/version >/dev/null 2>&1; }
for _ in $(seq 300); do answers && break; kill -0 "$hulld_pid" 2>/dev/null || break; sleep 0.1; done
answers || { cat "$home/hulld.log" >&2; hull_die "hulld did not come up"; }

# An empty registry on loopback for the pulls and pushes the fuzzer sends (the hooks point
# every valid image name there: nothing may leave this machine).
command -v docker-registry >/dev/null || hull_die "docker-registry is missing: scripts/setup.sh installs it (apt-get install docker-registry)"
registry_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat >"$home/registry.yml" <<YAML
version: 0.1
storage: {filesystem: {rootdirectory: $home/registry}}
http: {addr: 127.0.0.1:$registry_port}
log: {level: error}
YAML
docker-registry serve "$home/registry.yml" >"$home/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$registry_port/v2/" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$registry_port/v2/" >/dev/null || { cat "$home/registry.log" >&2; hull_die "docker-registry did not come up"; }

socat "TCP-LISTEN:$port,bind=127.0.0.1,reuseaddr,fork" "UNIX-CONNECT:$socket" 2>>"$home/socat.log" &
bridge_pid=$!
for _ in $(seq 50); do (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done

# A running process-mode container for every {id} operation to act on (the fuzzer stops,
# kills, restarts, execs in, copies into and removes it, as it pleases), besides the ids
# it makes up and those it takes from its own creates.
api() { curl -sf --max-time 60 --unix-socket "$socket" -H 'Content-Type: application/json' "$@"; }
api -X POST -d '{"image": "busybox", "name": "fuzz-target", "command": ["sh", "-c", "trap \"exit 0\" TERM; while true; do echo tick; sleep 1; done"], "stopTimeout": 2}' \
  http://localhost/v1/containers >/dev/null || hull_die "could not create the fuzz target container"
api -X POST http://localhost/v1/containers/fuzz-target/start || hull_die "could not start the fuzz target container"
exec_id=$(api -X POST -d '{"command": ["sh", "-c", "trap \"exit 0\" TERM; sleep 300"], "openStdin": true}' \
  http://localhost/v1/containers/fuzz-target/exec | python3 -c 'import json, sys; print(json.load(sys.stdin)["execID"])') \
  || hull_die "could not start an exec in the fuzz target container"
cat >"$home/schemathesis.toml" <<TOML
[cache]
enabled = false

[parameters]
"path.id" = { dictionary = "targets", probability = 0.5 }

[dictionaries.targets]
values = ["fuzz-target", "$exec_id"]

# An archive is bytes to the schema (it cannot say "a docker save or OCI layout tar"):
# valid bytes that are no such archive are a 400, as the document says.
[[operations]]
include-path = "/v1/images/load"
[operations.checks.positive_data_acceptance]
expected-statuses = ["2xx", "400", "404", "409", "413"]
TOML

# --max-response-time (schemathesis's check, 10 s by default): a restart is a stop (the
# grace, SIGKILL, up to 10 s more for a sandbox that does not answer) and a start, so 30 s,
# the request timeout, is its bound here.
# Operations that wait for a process by design (wait, an exec's output until it ends)
# would only time out, and a system prune would remove the stopped fuzz target (and with
# it every later {id} case); everything else is fuzzed, in positive and negative mode.
status=0
(cd "$home" && PYTHONPATH="$OLDPWD/scripts" SCHEMATHESIS_HOOKS=api_fuzz_hooks HULL_FUZZ_REGISTRY="127.0.0.1:$registry_port" \
  timeout 1200 python3 -m schemathesis.cli --config-file "$home/schemathesis.toml" run "$OLDPWD/docs/openapi.yaml" \
  --url "http://127.0.0.1:$port" \
  --checks all \
  --phases examples,coverage,fuzzing \
  --max-examples "${HULL_FUZZ_EXAMPLES:-30}" --generation-deterministic --workers 1 \
  --request-timeout 30 --max-response-time 30 --no-color \
  --exclude-path-regex '(/wait|^/v1/exec/\{id\}/output|^/v1/system/prune)$' \
  ${HULL_FUZZ_INCLUDE:+--include-path-regex "$HULL_FUZZ_INCLUDE"} \
  ) || status=$?

alive=1
answers || alive=0
if ! kill -0 "$hulld_pid" 2>/dev/null; then alive=0; fi
if [ "$alive" = 0 ]; then
  tail -n 40 "$home/hulld.log" >&2
  hull_die "hulld stopped answering during the fuzz run"
fi
hull_say "hulld still answers /v1/version after the run"
[ "$status" = 0 ] || { tail -n 20 "$home/hulld.log" >&2; hull_die "schemathesis found problems (exit $status)"; }
hull_say "schemathesis: no problems"
